#!/bin/sh
# Install syncgui for you alone, without root, from this unpacked folder:
#   ~/.local/opt/syncgui/          the app (syncgui, syncgui-cli and their libraries)
#   ~/.local/bin/syncgui, ~/.local/bin/syncgui-cli      (links into it)
#   ~/.local/share/applications/   the menu entry
#   ~/.local/share/icons/hicolor/  its icon
#   ~/.local/share/metainfo/       its AppStream description (software centres)
# (~/.local/share is $XDG_DATA_HOME when that is set.) Every file and folder it makes is
# listed in ~/.local/opt/syncgui/install-manifest (kind, tab, path), which ~/.local/opt/syncgui/uninstall.sh
# reads to remove exactly those. Your contacts, settings and sync state
# (~/.config/syncgui, ~/.local/share/syncgui) are never written or removed by either.
# Running it again over an earlier install replaces that install.
#
# Phones over USB need libmtp from your system (Debian/Ubuntu: sudo apt install libmtp9)
# and, to be opened by you rather than root, the udev rule beside this script, installed
# once by root: sudo cp udev/69-syncgui-mtp.rules /etc/udev/rules.d/ (the .deb does both).
set -eu

APP_ID=io.github.syncgui.SyncGui
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
opt=$HOME/.local/opt/syncgui
bin=$HOME/.local/bin
manifest=$opt/install-manifest
quiet=

for arg in "$@"; do
    case $arg in
        -q|--quiet) quiet=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { [ -n "$quiet" ] || echo "$@"; }
fail() { echo "install.sh: $*" >&2; exit 1; }

[ -x "$here/syncgui/syncgui" ] || fail "run it from the unpacked syncgui-*-linux-*.tar.gz folder"
[ -n "${HOME:-}" ] && [ -d "$HOME" ] || fail "HOME is not set to a folder"

# An earlier install by this script: take it away first (it knows what it wrote).
if [ -f "$manifest" ]; then
    say "Replacing the syncgui installed in $opt"
    sh "$opt/uninstall.sh" --quiet
elif [ -e "$opt" ]; then
    fail "$opt exists but was not made by install.sh; move it away first"
fi

icons=$(cd "$here/share" && find icons -type f | sort)

# Never write over a file that is not ours (e.g. a syncgui that pipx installed).
check_free() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        fail "$1 exists already (another installation?); remove it first"
    fi
}
for target in "$bin/syncgui" "$bin/syncgui-cli" "$data/applications/$APP_ID.desktop" \
    "$data/metainfo/$APP_ID.metainfo.xml"; do
    check_free "$target"
done
for icon in $icons; do
    check_free "$data/$icon"
done

made=$(mktemp "${TMPDIR:-/tmp}/syncgui-install.XXXXXX")

# On a failure half-way, take back what was made so far (uninstall.sh, on the list so far).
finish() {
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "install.sh: failed; removing what it installed so far" >&2
        if [ -d "$opt" ]; then
            cp "$made" "$manifest" && sh "$here/uninstall.sh" --quiet
        else
            sed -n 's/^d\t//p' "$made" | sort -r | while IFS= read -r folder; do
                rmdir "$folder" 2>/dev/null || true
            done
        fi
    fi
    rm -f "$made"
    exit "$status"
}
trap finish EXIT

# mkdir -p, noting each folder it creates (so that uninstall.sh removes it if left empty)
make_dir() {
    [ -d "$1" ] && return 0
    make_dir "$(dirname "$1")"
    mkdir "$1"
    printf 'd\t%s\n' "$1" >>"$made"
}

# a file of ours: noted with its checksum (uninstall.sh leaves a file changed since alone)
note_file() {
    printf 'f\t%s\t%s\n' "$(sha256sum <"$1" | cut -d' ' -f1)" "$1" >>"$made"
}

# Exec=/TryExec= lines point at the installed commands: ~/.local/bin is not on the PATH
# of every desktop session.
desktop_line_for() {
    case $bin in
        *[!A-Za-z0-9_./-]*) printf '"%s/' "$bin" ;;  # quoted: Exec="/home/a b/.local/bin/syncgui"
        *) printf '%s/' "$bin" ;;
    esac
}

make_dir "$(dirname "$opt")"
cp -R "$here/syncgui" "$opt.partial"
mv "$opt.partial" "$opt"
printf 't\t%s\n' "$opt" >>"$made"

make_dir "$bin"
for command in syncgui syncgui-cli; do
    ln -s "$opt/$command" "$bin/$command"
    printf 'l\t%s\t%s\n' "$opt/$command" "$bin/$command" >>"$made"
done

make_dir "$data/applications"
prefix=$(desktop_line_for)
case $prefix in
    \"*) suffix='"' ;;
    *) suffix= ;;
esac
sed -e "s|^TryExec=\\(syncgui[-a-z]*\\)|TryExec=$bin/\\1|" \
    -e "s|^Exec=\\(syncgui[-a-z]*\\)|Exec=$prefix\\1$suffix|" \
    "$here/share/applications/$APP_ID.desktop" >"$data/applications/$APP_ID.desktop"
note_file "$data/applications/$APP_ID.desktop"

for icon in $icons; do
    target=$data/$icon
    make_dir "$(dirname "$target")"
    cp "$here/share/$icon" "$target"
    note_file "$target"
done

make_dir "$data/metainfo"
cp "$here/share/metainfo/$APP_ID.metainfo.xml" "$data/metainfo/$APP_ID.metainfo.xml"
note_file "$data/metainfo/$APP_ID.metainfo.xml"

cp "$here/uninstall.sh" "$opt/uninstall.sh"
cp "$made" "$manifest"

say "syncgui is installed in $opt."
say "  Start it from your menu, or run: $bin/syncgui   (the command line: $bin/syncgui-cli)"
say "  Remove it with: $opt/uninstall.sh"
case ":${PATH:-}:" in
    *":$bin:"*) ;;
    *) say "  Note: $bin is not on your PATH; add it to type syncgui and syncgui-cli by name." ;;
esac
