#!/bin/sh
# Remove the syncgui that install.sh installed for you: exactly the files and folders listed
# in ~/.local/opt/syncgui/install-manifest (the app folder, the two links in ~/.local/bin,
# the menu entry, the icons, the AppStream file, and the folders it created when they are
# empty now). A listed file you changed since is left where it is, and said so. Your
# contacts, settings and sync state (~/.config/syncgui, ~/.local/share/syncgui) are not
# touched: to remove them too, delete those folders yourself.
set -eu

opt=$HOME/.local/opt/syncgui
manifest=$opt/install-manifest
quiet=

for arg in "$@"; do
    case $arg in
        -q|--quiet) quiet=1 ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "uninstall.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { [ -n "$quiet" ] || echo "$@"; }

if [ ! -f "$manifest" ]; then
    echo "uninstall.sh: syncgui is not installed in $opt (no $manifest)" >&2
    exit 1
fi

# Read the whole manifest before anything is removed (it lives in the app folder).
entries=$(cat "$manifest")
kept=0
folders=
tree=

tab=$(printf '\t')
while IFS=$tab read -r kind first second; do
    case $kind in
        f)  # checksum, path
            if [ -f "$second" ] && [ ! -L "$second" ]; then
                if [ "$(sha256sum <"$second" | cut -d' ' -f1)" = "$first" ]; then
                    rm -f "$second"
                else
                    echo "uninstall.sh: kept $second: it was changed after the install" >&2
                    kept=1
                fi
            fi
            ;;
        l)  # target, link
            if [ -L "$second" ] && [ "$(readlink "$second")" = "$first" ]; then
                rm -f "$second"
            elif [ -e "$second" ] || [ -L "$second" ]; then
                echo "uninstall.sh: kept $second: it no longer points into $opt" >&2
                kept=1
            fi
            ;;
        t) tree=$first ;;
        d) folders="$first
$folders" ;;  # newest first: children before their parents
    esac
done <<EOF
$entries
EOF

if [ "$tree" = "$opt" ] && [ -d "$opt" ]; then
    rm -rf "$opt"
fi

# The folders install.sh created, if nothing else has been put in them since.
printf '%s' "$folders" | while IFS= read -r folder; do
    [ -n "$folder" ] && rmdir "$folder" 2>/dev/null || true
done

say "syncgui is removed from $opt. Your contacts, settings and sync state are where they were."
[ "$kept" -eq 0 ] || say "Files you changed were kept (listed above)."
exit 0
