#!/usr/bin/env bash
# Refresh the vendored front-end assets in ttc/static/vendor/ from the exact
# versions pinned in package.json / package-lock.json.
#
#   scripts/refresh-static.sh
#
# To upgrade: change the pinned version in package.json, run
# `npm install --omit-lockfile-registry-resolved` to update package-lock.json,
# then run this script and commit package.json, package-lock.json and the
# changed files under ttc/static/vendor/.
#
# The vendored files are served from 'self' under a strict CSP, so this script
# removes any rule that would load a remote resource (@import of a remote
# stylesheet, @font-face with a remote src) and fails if another remote
# reference is left.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

npm ci --no-audit --no-fund

NM="$ROOT/node_modules"
VENDOR="$ROOT/ttc/static/vendor"
mkdir -p "$VENDOR/utrecht" "$VENDOR/nl-design-system" "$VENDOR/htmx"

pkg_version() {
  node -p "require(process.argv[1]).version" "$NM/$1/package.json"
}

# vendor_css PACKAGE SOURCE DEST: copy a CSS file with a provenance header and
# without rules that load remote resources.
vendor_css() {
  local pkg="$1" src="$2" dest="$3"
  node - "$pkg" "$(pkg_version "$pkg")" "$src" "$dest" <<'NODE'
const fs = require("fs");
const [pkg, version, src, dest] = process.argv.slice(2);
let css = fs.readFileSync(src, "utf8");
const remote = /url\(\s*["']?\s*(?:https?:)?\/\//i;
const remoteImport = /@import\s+(?:url\()?\s*["']?\s*(?:https?:)?\/\/[^;]*;\s*/gi;
const before = css.length;
css = css.replace(remoteImport, "");
css = css.replace(/@font-face\s*\{[^}]*\}\s*/gi, (rule) => (remote.test(rule) ? "" : rule));
if (css.length !== before) {
  console.error(`${dest}: removed rules that load remote resources`);
}
const left = css.match(new RegExp(remote.source + "[^)]*\\)", "gi"));
if (left) {
  console.error(`${dest}: remote references left:\n  ${left.join("\n  ")}`);
  process.exit(1);
}
const header =
  `/* ${pkg} ${version}: ${src.replace(/^.*node_modules\//, "")}\n` +
  ` * Vendored by scripts/refresh-static.sh; do not edit by hand. */\n`;
fs.writeFileSync(dest, header + css);
NODE
}

# NL Design System, Utrecht component library (EUPL-1.2).
vendor_css @utrecht/component-library-css \
  "$NM/@utrecht/component-library-css/dist/index.css" \
  "$VENDOR/utrecht/component-library.css"
cp "$NM/@utrecht/component-library-css/LICENSE.md" "$VENDOR/utrecht/LICENSE-component-library.md"

# The NL Design System example theme's tokens (EUPL-1.2), scoped to
# .voorbeeld-theme; ttc.css overrides a few of them for the TTC look.
vendor_css @nl-design-system-unstable/voorbeeld-design-tokens \
  "$NM/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css" \
  "$VENDOR/nl-design-system/design-tokens.css"
cp "$NM/@nl-design-system-unstable/voorbeeld-design-tokens/LICENSE.md" \
  "$VENDOR/nl-design-system/LICENSE.md"

# htmx (0BSD).
cp "$NM/htmx.org/dist/htmx.min.js" "$VENDOR/htmx/htmx.min.js"
cp "$NM/htmx.org/LICENSE" "$VENDOR/htmx/LICENSE"

grep -q "utrecht-button" "$VENDOR/utrecht/component-library.css"
grep -q "^\.voorbeeld-theme {" "$VENDOR/nl-design-system/design-tokens.css"

cat <<EOF
Vendored:
  @utrecht/component-library-css $(pkg_version @utrecht/component-library-css)
  @nl-design-system-unstable/voorbeeld-design-tokens $(pkg_version @nl-design-system-unstable/voorbeeld-design-tokens)
  htmx.org $(pkg_version htmx.org)
EOF
