#!/bin/bash
# Entrypoint of kubeprint's local Ghost image, a stand-in for the official `ghost` image; ours,
# following what that image documents (its content volume, configuration by environment) and
# how it is laid out:
#   - Ghost is installed in /var/lib/ghost (GHOST_INSTALL), the working directory, with
#     `current` pointing at the installed version and config.production.json next to it;
#   - the content directory /var/lib/ghost/content (GHOST_CONTENT) is the one place Ghost
#     writes (themes, images, logs, settings); a fresh, empty volume mounted there is seeded on
#     start from the pristine copy in /var/lib/ghost/content.orig: each of its sub-directories
#     (themes with Casper and Source, images, data, logs, ...) that is missing or empty in the
#     volume is copied in, and nothing that is already there is touched;
#   - the command is `node current/index.js` (anything else runs as given, unseeded);
#   - configuration by environment variables in Ghost's `section__key` form (Ghost reads them
#     itself; this script does not look at them).
# Differences: the image runs as UID/GID 1000 (`node`) from the start, so there is no
# root-then-drop (`gosu`) step and no chown of the content volume: it must be writable by 1000
# (fsGroup, or an owned volume).
set -euo pipefail

GHOST_INSTALL=${GHOST_INSTALL:-/var/lib/ghost}
GHOST_CONTENT=${GHOST_CONTENT:-/var/lib/ghost/content}

log() { printf '%s [Entrypoint]: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

seed_content() {
	local dir target
	for dir in "${GHOST_INSTALL}/content.orig"/*/; do
		[[ -d ${dir} ]] || continue
		target=${GHOST_CONTENT}/$(basename "${dir}")
		mkdir -p "${target}"
		if [[ -z $(ls -A "${target}") ]]; then
			log "seeding ${target} from ${dir%/}"
			# No ownership kept: the files belong to whoever runs this (UID 1000).
			cp -R --preserve=mode,timestamps "${dir}." "${target}/"
		fi
	done
}

if [[ ${1:-} == node && ${2:-} == current/index.js ]]; then
	seed_content
fi
exec "$@"
