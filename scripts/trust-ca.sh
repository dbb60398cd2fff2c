#!/usr/bin/env bash
# Trusts (or, with --remove, stops trusting) a CretoAI CA in this user's browsers, so the console
# of a cluster whose certificates it issued opens without a warning.
#   Linux: the NSS databases of Chrome/Chromium (~/.pki/nssdb) and of every Firefox profile
#          (needs certutil: Debian/Ubuntu `libnss3-tools`, Fedora `nss-tools`).
#   macOS: the login keychain (asks for your password; Safari and Chrome use it; Firefox uses
#          it too when security.enterprise_roots.enabled is true, the default on macOS).
#   Windows: not scripted; see docs/customer/demo-guide.md.
#
# Usage: scripts/trust-ca.sh [--remove] [CA file, default cretoai-ca.pem]
# Restart the browser afterwards. Only this CA is added; it can only vouch for certificates it
# issued, and its key stays in the cluster's init volume.
set -euo pipefail
remove=""
if [ "${1:-}" = --remove ]; then remove=1; shift; fi
ca="${1:-cretoai-ca.pem}"
[ -s "$ca" ] || { echo "no CA file at $ca (scripts/demo.sh fetches cretoai-ca.pem)" >&2; exit 1; }
grep -q 'BEGIN CERTIFICATE' "$ca" || { echo "$ca is not a PEM certificate" >&2; exit 1; }
# The name carries the CA's fingerprint, so two clusters' CAs do not replace each other.
subject=$(openssl x509 -in "$ca" -noout -subject -nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p' || true)
nick="${subject:-CretoAI local CA}"

case "$(uname -s)" in
  Linux)
    command -v certutil >/dev/null || {
      echo "certutil is needed: sudo apt-get install libnss3-tools (Debian/Ubuntu) or sudo dnf install nss-tools" >&2
      exit 1
    }
    dbs=("$HOME/.pki/nssdb")
    for profile in "$HOME"/.mozilla/firefox/*.default* "$HOME"/snap/firefox/common/.mozilla/firefox/*.default*; do
      [ -f "$profile/cert9.db" ] && dbs+=("$profile")
    done
    for db in "${dbs[@]}"; do
      if [ -n "$remove" ]; then
        certutil -d "sql:$db" -D -n "$nick" 2>/dev/null && echo "removed \"$nick\" from $db" || true
      else
        mkdir -p "$db"
        [ -f "$db/cert9.db" ] || certutil -d "sql:$db" -N --empty-password
        certutil -d "sql:$db" -A -t "C,," -n "$nick" -i "$ca"
        echo "trusted \"$nick\" in $db"
      fi
    done
    ;;
  Darwin)
    keychain="$HOME/Library/Keychains/login.keychain-db"
    if [ -n "$remove" ]; then
      security remove-trusted-cert "$ca" && security delete-certificate -c "$nick" "$keychain"
      echo "removed \"$nick\" from the login keychain"
    else
      security add-trusted-cert -r trustRoot -p ssl -k "$keychain" "$ca"
      echo "trusted \"$nick\" in the login keychain"
    fi
    ;;
  *)
    echo "not scripted on $(uname -s): see 'Trust the demo CA' in docs/customer/demo-guide.md" >&2
    exit 1
    ;;
esac
echo "restart the browser to pick it up"
