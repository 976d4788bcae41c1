#!/usr/bin/env bash
# The fleet's private CA and its certificates, for the broker configuration in this directory
# (till-agent.conf + till-agent.acl). Only openssl is needed. Run it on an offline admin machine
# that keeps the CA directory; copy out only what each machine needs (see systemd/README.md).
#
#   till-certs.sh [--dir DIR] [--days N] ca                           the CA, once: ca.key ca.pem crl.pem
#   till-certs.sh [--dir DIR] [--days N] server NAME [NAME...]        the broker's certificate (DNS names / IPs)
#   till-certs.sh [--dir DIR] [--days N] host NAME                    a loyalty host's client certificate, CN=NAME
#   till-certs.sh [--dir DIR] [--days N] till MERCHANT STORE TERMINAL a till's client certificate, CN=MERCHANT/STORE/TERMINAL
#   till-certs.sh [--dir DIR] revoke FILE.pem                         revoke a certificate and rewrite crl.pem
#
# Why CN=MERCHANT/STORE/TERMINAL: the broker takes the CN as the username and the client id
# (use_identity_as_username, use_username_as_clientid) and the ACL pattern `till/v1/%u/req`
# then names exactly that till's topics (mosquitto 2.0 substitutes a %u that contains "/").
# A host's NAME has no "/", so it can never be mistaken for a till.
set -euo pipefail

dir=./till-pki
days=825
usage() { sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
fail() { echo "till-certs.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || fail "--dir needs a DIR"; dir=$2; shift 2 ;;
    --days) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]{0,4}$ ]] || fail "--days needs a number of days"; days=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    --*) fail "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
command -v openssl >/dev/null || fail "openssl is not installed (apt-get install openssl)"
cmd=$1; shift

# Subject parts are restricted so they are safe in a certificate subject, a topic level and a file name.
name_ok() { [[ $1 =~ ^[A-Za-z0-9._-]{1,64}$ ]] && [[ $1 != . && $1 != .. ]]; }
cnf=$dir/openssl.cnf

need_ca() { [ -f "$dir/ca.key" ] && [ -f "$cnf" ] || fail "no CA in $dir: run '$0 --dir $dir ca' first"; }

# Key and signed certificate for subject $2 with extensions section $3, written to $1.{key,pem}.
issue() {
  local base=$1 subject=$2 ext=$3 extra=${4:-}
  [ ! -e "$base.pem" ] || fail "$base.pem exists: revoke it first, or remove it to re-issue"
  mkdir -p "$(dirname "$base")"
  (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$base.key" 2>/dev/null)
  openssl req -new -key "$base.key" -subj "$subject" -out "$base.csr" 2>/dev/null
  local extfile=()
  if [ -n "$extra" ]; then
    printf '[ %s ]\n%s\n' "$ext" "$extra" >"$base.ext"
    extfile=(-extfile "$base.ext")
  fi
  openssl ca -batch -notext -config "$cnf" "${extfile[@]}" -extensions "$ext" -days "$days" -in "$base.csr" -out "$base.pem" 2>"$base.err" \
    || { cat "$base.err" >&2; rm -f "$base.key" "$base.csr" "$base.err" "$base.ext"; fail "signing $subject failed"; }
  rm -f "$base.csr" "$base.err" "$base.ext"
  chmod 0644 "$base.pem"
  echo "issued $base.pem ($(openssl x509 -in "$base.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'), key $base.key)"
}

gencrl() { openssl ca -batch -config "$cnf" -gencrl -out "$dir/crl.pem" 2>/dev/null; chmod 0644 "$dir/crl.pem"; }

case "$cmd" in
  ca)
    [ $# -eq 0 ] || usage
    [ ! -e "$dir/ca.key" ] || fail "$dir/ca.key exists: a CA is made once"
    mkdir -p "$dir/issued"
    chmod 0700 "$dir"
    : >"$dir/index.txt"
    echo 1000 >"$dir/crlnumber"
    # The CRL is checked on every connection: a long validity, so an old CRL never locks the fleet out.
    cat >"$cnf" <<CNF
[ ca ]
default_ca = till_ca
[ till_ca ]
dir = $(cd "$dir" && pwd)
database = \$dir/index.txt
new_certs_dir = \$dir/issued
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 3650
unique_subject = no
policy = policy_cn
[ policy_cn ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ client ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
CNF
    (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null)
    openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=till-agent fleet CA" -days 3650 \
      -config "$cnf" -extensions v3_ca -out "$dir/ca.pem" 2>/dev/null
    openssl rand -hex 8 >"$dir/serial"
    gencrl
    echo "created CA $dir/ca.pem (key $dir/ca.key: keep it offline) and $dir/crl.pem"
    ;;
  server)
    [ $# -ge 1 ] || fail "server needs the broker's DNS name(s) and/or IP address(es)"
    need_ca
    san=""
    for n in "$@"; do
      if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then san+="${san:+,}IP:$n"
      elif [[ $n =~ ^[A-Za-z0-9.-]+$ ]]; then san+="${san:+,}DNS:$n"
      else fail "server name '$n' is neither a DNS name nor an IP address"; fi
    done
    issue "$dir/server" "/CN=$1" server \
      "$(printf 'basicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = %s' "$san")"
    ;;
  host)
    [ $# -eq 1 ] || fail "host needs one NAME (letters, digits, . _ -)"
    name_ok "$1" || fail "host NAME '$1': 1-64 letters, digits, '.', '_' or '-'"
    need_ca
    issue "$dir/hosts/$1" "/CN=$1" client
    ;;
  till)
    [ $# -eq 3 ] || fail "till needs MERCHANT STORE TERMINAL (as in the till's config)"
    for part in "$@"; do name_ok "$part" || fail "'$part': merchant, store and terminal here are 1-64 letters, digits, '.', '_' or '-'"; done
    cn="$1/$2/$3"
    [ ${#cn} -le 64 ] || fail "'$cn' is longer than 64 characters, the limit of a certificate CN"
    need_ca
    # "/" separates subject fields in -subj: escape it inside the CN.
    issue "$dir/tills/$1/$2/$3" "/CN=${cn//\//\\/}" client
    ;;
  revoke)
    [ $# -eq 1 ] && [ -f "$1" ] || fail "revoke needs the certificate file (.pem) to revoke"
    need_ca
    openssl ca -batch -config "$cnf" -revoke "$1" 2>/dev/null || fail "could not revoke $1 (already revoked, or not issued by this CA?)"
    gencrl
    echo "revoked $1; copy $dir/crl.pem to the broker and restart it"
    ;;
  *) fail "unknown command '$cmd' (ca, server, host, till, revoke)" ;;
esac
