#!/usr/bin/env bash
# Test PKI, made fresh in the build tree, never committed. Every run
# rewrites the same files in OUTDIR:
#
#   ca.pem ca.key                 ECDSA P-256 root CA (the trust store)
#   server.pem server.key         localhost / 127.0.0.1, signed by the CA
#   server-rsa.pem server-rsa.key the same names, RSA-2048 key
#   expired.pem expired.key       localhost, validity 2020..2021 (expired)
#   wrongname.pem wrongname.key   SAN DNS:wrong.example only
#   unknownca-ca.pem unknownca-ca.key   a second CA nobody trusts
#   unknownca.pem unknownca.key   localhost, signed by that untrusted CA
#   intermediate.pem intermediate.key   intermediate CA signed by the root
#   chain-leaf.pem chain-leaf.key localhost, signed by the intermediate
#   chain-full.pem                chain-leaf.pem + intermediate.pem
#   client.pem client.key         CN "ktlsd test client", clientAuth, by the CA
#   client-unknownca.pem client-unknownca.key   the same, by the untrusted CA
#   server-revoked.pem server-revoked.key   localhost, by the CA, revoked
#   client-revoked.pem client-revoked.key   a client certificate, revoked
#   crl.pem                       the CA's CRL (from 2020, for 10 years
#                                 from today): the two revoked ones
#
# EC P-256 keys except server-rsa. OpenSSL 3.0's x509 cannot set dates in
# the past, so the expired certificate is signed with 'openssl ca'.
set -euo pipefail
out=${1:?usage: make-certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ec_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" 2>/dev/null
}

# self_signed_ca NAME CN
self_signed_ca() {
	ec_key "$1.key"
	openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem"
}

# leaf_ext SAN [KEYUSAGE [EKU]]: extensions of a TLS leaf certificate
leaf_ext() {
	cat > "$tmp/leaf.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature${2:-}
extendedKeyUsage=${3:-serverAuth}
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$1
EXT
}

# sign NAME CN ISSUER EXTFILE: NAME.pem from NAME.key, signed by ISSUER
sign() {
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$tmp/$1.csr"
	openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$3.key" \
		-CAserial "$tmp/$3.srl" -CAcreateserial -sha256 -days 825 \
		-extfile "$4" -out "$1.pem" 2>/dev/null
}

# leaf NAME CN SAN ISSUER [key type]
leaf() {
	if [ "${5:-ec}" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$1.key" 2>/dev/null
		leaf_ext "$3" ,keyEncipherment
	else
		ec_key "$1.key"
		leaf_ext "$3"
	fi
	sign "$1" "$2" "$4" "$tmp/leaf.ext"
}

self_signed_ca ca "ktlsd test CA"
leaf server localhost "DNS:localhost,IP:127.0.0.1" ca
leaf server-rsa localhost "DNS:localhost,IP:127.0.0.1" ca rsa
leaf wrongname wrong.example "DNS:wrong.example" ca

self_signed_ca unknownca-ca "ktlsd untrusted test CA"
leaf unknownca localhost "DNS:localhost,IP:127.0.0.1" unknownca-ca

ec_key intermediate.key
cat > "$tmp/intermediate.ext" <<EXT
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
sign intermediate "ktlsd test intermediate CA" ca "$tmp/intermediate.ext"
leaf chain-leaf localhost "DNS:localhost,IP:127.0.0.1" intermediate
cat chain-leaf.pem intermediate.pem > chain-full.pem

# Client certificates for mutual TLS.
client_leaf() {
	ec_key "$1.key"
	leaf_ext "DNS:client.test" "" clientAuth
	sign "$1" "ktlsd test client" "$2" "$tmp/leaf.ext"
}
client_leaf client ca
client_leaf client-unknownca unknownca-ca

# Expired: valid for 2020 only, signed by the trusted CA.
ec_key expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out "$tmp/expired.csr"
leaf_ext "DNS:localhost,IP:127.0.0.1"
: > "$tmp/index.txt"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $tmp/index.txt
new_certs_dir = $tmp
serial = $tmp/ca-db.srl
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
CNF
openssl rand -hex 16 > "$tmp/ca-db.srl"
openssl ca -batch -notext -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key \
	-startdate 20200101000000Z -enddate 20210101000000Z \
	-extfile "$tmp/leaf.ext" -in "$tmp/expired.csr" -out expired.pem \
	2>/dev/null

# Revoked by the CA: its CRL lists them (and nothing else in use).
leaf server-revoked localhost "DNS:localhost,IP:127.0.0.1" ca
client_leaf client-revoked ca
echo 01 > "$tmp/crlnumber"
printf 'crlnumber = %s\n' "$tmp/crlnumber" >> "$tmp/ca.cnf"
for c in server-revoked client-revoked; do
	openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key \
		-revoke "$c.pem" -crl_reason keyCompromise 2>/dev/null
done
openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca.key \
	-gencrl -crl_lastupdate 20200101000000Z -crldays 3650 -out crl.pem \
	2>/dev/null

chmod 600 ./*.key
