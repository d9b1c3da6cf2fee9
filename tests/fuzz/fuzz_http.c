/*
 * libFuzzer target: src/http. The input is an HTTP response fed to the
 * streaming parser in pieces whose sizes come from the first bytes of the
 * input (so every split point is explored), then the end of the connection;
 * the rest of the input is also tried as a URL and a host[:port].
 * Asserted beyond memory safety: body slices lie inside the piece just fed,
 * a Content-Length body never delivers more bytes than announced, and after
 * DONE or an error the parser only ever answers with an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dtls/http.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    int head = data[1] & 1;
    data += 2;
    size -= 2;

    struct dtls_http_response r;
    struct dtls_http_event ev;
    dtls_http_response_init(&r, head);
    uint64_t body = 0;
    int done = 0, err = 0;
    for (size_t off = 0; off < size && !done && !err;) {
        size_t n = size - off < step ? size - off : step;
        uint8_t *piece = malloc(n); /* exact size: ASan sees any overread */
        memcpy(piece, data + off, n);
        size_t pos = 0;
        for (;;) {
            size_t used;
            int e = dtls_http_parse(&r, piece + pos, n - pos, &used, &ev);
            if (used > n - pos)
                abort();
            if (e == DTLS_HTTP_EV_BODY) {
                if (ev.data < piece + pos || ev.data + ev.len > piece + pos + used)
                    abort();
                body += ev.len;
                if (r.content_length >= 0 && !r.chunked && body > (uint64_t)r.content_length)
                    abort();
            }
            pos += used;
            if (e < 0) {
                err = 1;
                break;
            }
            if (e == DTLS_HTTP_EV_DONE) {
                done = 1;
                break;
            }
            if (e == DTLS_HTTP_EV_NEED_MORE)
                break;
        }
        free(piece);
        off += n;
    }
    if (done || err) {
        size_t used;
        if (dtls_http_parse(&r, (const uint8_t *)"x", 1, &used, &ev) >= 0)
            abort(); /* complete or failed: nothing more is accepted */
    } else {
        dtls_http_parse_eof(&r);
    }

    /* URL parsers over a NUL-terminated copy */
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    struct dtls_url u;
    if (dtls_url_parse(&u, s) == 0) {
        if (u.host_len == 0 || u.path_len == 0 || u.port == 0)
            abort();
        char out[4096];
        dtls_http_request_head(out, sizeof out, "POST", &u, NULL, 0, 5, 1);
    }
    dtls_url_parse_hostport(&u, s);
    free(s);
    return 0;
}
