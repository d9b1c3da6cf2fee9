/* dtls-send exit codes: curl's numbers where curl has one (see docs/dtls-send.1). */
#ifndef DTLS_SEND_EXITCODES_H
#define DTLS_SEND_EXITCODES_H

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_BAD_URL = 3,
    EXIT_RESOLVE = 6,
    EXIT_CONNECT = 7,
    EXIT_HTTP = 22,          /* HTTP status >= 400 */
    EXIT_READ_INPUT = 26,
    EXIT_TIMEOUT = 28,
    EXIT_TLS = 35,           /* TLS handshake failed */
    EXIT_SEND = 55,
    EXIT_RECV = 56,
    EXIT_CLIENT_CERT = 58,
    EXIT_VERIFY = 60,        /* server certificate not verified */
    EXIT_CACERT = 77         /* CA file problem */
};

#endif
