#!/usr/bin/env bash
# Installs the Debian packages Bastion Greeter needs to run its demo and its tests.
# Idempotent: only missing packages are installed; safe to run again.
# Needs root (apt-get); as another user it prints the one command to run.
set -euo pipefail

PACKAGES=(
  # build: the setuid helper, the fake-hidraw shim, the fuzz target
  build-essential clang libclang-rt-14-dev libpam0g-dev libudev-dev pkg-config
  # PAM test rig: pam_wrapper + its test modules, a reference client
  libpam-wrapper pamtester libpam-modules
  # browser and display for the renderer (e2e, demo)
  chromium xvfb xauth fonts-dejavu-core
  # node-hid runtime
  libusb-1.0-0
  # independent tools the tests cross-check against
  argon2 openssl python3-cryptography
  # offline verify: the bench's C baseline (libsodium crypto_pwhash), Argon2id on a CPU
  # without AVX2 (qemu-x86_64 -cpu Nehalem), syslog lines for the administrator (logger)
  libsodium-dev libssl-dev qemu-user bsdutils util-linux
  # FIDO2 peers
  python3-fido2 fido2-tools libpam-u2f pamu2fcfg
  # systemd-cryptenroll cross-check (LUKS2 image files, token export)
  cryptsetup-bin
  # the socket-activated helper without PID-1 systemd: systemd-socket-activate, and
  # systemd-analyze verify for resources/systemd/ (setpriv, for a non-root caller: util-linux)
  systemd
  # real greetd 0.9 for main/dm/greetd's integration tests (testkit/dm/greetd-rig.ts, as
  # root; pam_matrix from libpam-wrapper; reap-run.py supervises it)
  greetd python3
  # real LightDM 1.26 for main/dm/lightdm's integration tests (testkit/dm/lightdm-rig.ts:
  # --test-mode as a non-root account, Xvfb, private D-Bus buses, pam_wrapper; the rig
  # creates its two test accounts), python3-dbusmock for the logind tests
  lightdm xvfb dbus-daemon dbus-bin libpam-wrapper python3-dbusmock
  # main/power: busctl and systemd-inhibit come with systemd above; gdbus watches
  # PrepareForSleep (the logind tests run python3-dbusmock's logind on a private bus)
  libglib2.0-bin
  # keyboard layout switch under X11 (setxkbmap, main/screens/keyboard-switch.ts) and its tests
  x11-xkb-utils
  # main/lock: xwininfo proves the session blanker covers the screen (x11-utils); xwd reads
  # the screen back and xlogo stands in for a desktop in the lock tests (x11-apps)
  x11-utils x11-apps
  # main/lock's blanker (native-helper/bastion-session-blanker.c: Xlib; runs with libx11-6 only)
  # and its tests: XTEST for the test-only X client, Xephyr + xrandr for a root window that
  # changes size
  libx11-dev libxtst-dev xserver-xephyr x11-xserver-utils
  # misc
  procps psmisc time file
  # e2e/sso-device.test.ts decodes the greeter's QR code from the screenshot (zbarimg)
  zbar-tools
  # real LemonLDAP::NG 2.16 for main/sso's integration tests (testkit/sso/llng-rig.ts: its own
  # llng-fastcgi-server and nginx on loopback, private config copy; nothing runs as a service).
  # The portal's Recommends are listed by hand (this script installs without Recommends): the
  # portal and lemonldap-ng-cli fail at start or merge without them; nginx-extras and the
  # Apache/uwsgi alternatives are left out.
  lemonldap-ng lemonldap-ng-fastcgi-server nginx
  perlmagick libmime-tools-perl libcrypt-openssl-bignum-perl
  fonts-urw-base35 libauthen-webauthn-perl libconvert-base32-perl libio-string-perl
  libipc-run-perl libgd-securityimage-perl libnet-ldap-perl libio-socket-timeout-perl
  libunicode-string-perl libapache-session-browseable-perl libemail-sender-perl
  libcookie-baker-xs-perl libdbi-perl libhttp-parser-xs-perl liblwp-protocol-https-perl
  libstring-random-perl libxml-libxml-perl libxml-libxslt-perl libxml-simple-perl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all Debian packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing Debian packages: ${missing[*]}" >&2
  echo "setup-system: run as root:  sudo bash scripts/setup-system.sh" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-system: done"
