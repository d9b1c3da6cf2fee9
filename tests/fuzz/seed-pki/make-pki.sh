#!/usr/bin/env bash
# The fixed PKI of the TLS fuzz targets (run once; the outputs are committed).
# root (P-256, CA) signs: leaf (P-256, localhost), rsa-leaf (RSA-2048, localhost),
# client (P-256, clientAuth). The fuzz targets' clock is 2030-01-01, inside every
# validity period. tests/fuzz/record-seeds.sh turns these files into fuzz_pki.h.
set -euo pipefail
cd "$(dirname "$0")"
o=openssl
$o ecparam -name prime256v1 -genkey -noout | $o pkcs8 -topk8 -nocrypt -out root.key
$o req -new -x509 -key root.key -subj "/CN=dtls fuzz root" -days 9000 -sha256 -out root.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
mk() { # name keyfile subject ext
    $o req -new -key "$2" -subj "$3" -out "$1.csr"
    printf '%s\n' "$4" > "$1.ext"
    $o x509 -req -in "$1.csr" -CA root.pem -CAkey root.key -CAcreateserial -days 8000 -sha256 \
        -extfile "$1.ext" -out "$1.pem"
    rm -f "$1.csr" "$1.ext"
}
$o ecparam -name prime256v1 -genkey -noout | $o pkcs8 -topk8 -nocrypt -out leaf.key
mk leaf leaf.key "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
$o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-leaf.key
mk rsa-leaf rsa-leaf.key "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
$o ecparam -name prime256v1 -genkey -noout | $o pkcs8 -topk8 -nocrypt -out client.key
mk client client.key "/CN=fuzz client" "keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
rm -f root.srl
