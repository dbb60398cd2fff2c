#!/bin/sh
# Turns a Debian root file system into the base of the CretoAI runtime image:
#  - trims it: a runtime never installs packages, so the package manager's own stack goes (apt
#    and its TLS and signature libraries, perl and debconf, filesystem tools, time zones), and
#    so do docs, man pages, locales and iconv converters. dpkg stays so the image remains
#    inspectable; bash (health checks), coreutils, util-linux (setpriv) and passwd stay;
#  - adds the user `cretoai` (uid/gid 10001) and its folders: /var/lib/cretoai/data (a node's or
#    the sidecar's data, mode 0700) and /etc/cretoai/cluster (the cluster configuration).
#
# Usage: prepare-runtime-rootfs.sh <root>   ("/" inside a Dockerfile, a debootstrap folder outside)
# Used by Dockerfile (on debian:bookworm-slim) and scripts/build-base-image.sh (for
# Dockerfile.prebuilt), so both runtime images have the same layout.
set -eu
root="${1:?usage: prepare-runtime-rootfs.sh <root>}"

in_root() {
  if [ "$root" = / ]; then "$@"; else chroot "$root" "$@"; fi
}
purge() { in_root env DEBIAN_FRONTEND=noninteractive dpkg --purge --force-remove-essential --force-depends "$@"; }

purge tzdata # its postrm needs debconf, so before debconf
purge apt libapt-pkg6.0 gpgv libgnutls30 libp11-kit0 libtasn1-6 libhogweed6 libnettle8 \
  libidn2-0 libunistring2 adduser debconf perl-base e2fsprogs libext2fs2 libss2 logsave
# gconv: glibc's iconv converters for non-UTF-8 character sets (8 MB); nothing here converts
# character sets (UTF-8 and C.UTF-8 are built into glibc).
rm -rf "$root"/var/cache/apt "$root"/var/lib/apt "$root"/var/cache/debconf \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/* \
  "$root"/usr/lib/*-linux-gnu*/gconv

in_root groupadd --gid 10001 cretoai
in_root useradd --no-create-home --no-log-init --uid 10001 --gid cretoai \
  --home-dir /var/lib/cretoai --shell /usr/sbin/nologin cretoai
in_root install -d -o cretoai -g cretoai -m 0700 /var/lib/cretoai /var/lib/cretoai/data
in_root install -d -o cretoai -g cretoai -m 0755 /etc/cretoai/cluster
