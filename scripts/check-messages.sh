#!/usr/bin/env bash
# Fails when a UI string lacks a Dutch (or English) translation, or when the
# compiled catalogues are older than their sources. Changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

locale_dir=ttc/locale
saved=$(mktemp -d)
trap 'rm -rf "$locale_dir"; cp -r "$saved/locale" "$locale_dir"; rm -rf "$saved"' EXIT
cp -r "$locale_dir" "$saved/locale"

(cd ttc && ../.venv/bin/python ../manage.py makemessages --locale nl --locale en \
  --no-obsolete --add-location file --verbosity 0)

status=0
for language in nl en; do
  po="$locale_dir/$language/LC_MESSAGES/django.po"
  missing=$(msgattrib --untranslated --no-obsolete "$po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry (msgid "") when anything matched.
  if [ "$missing" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
    echo "$language: untranslated or fuzzy strings (run 'make messages' and translate):"
    msgattrib --untranslated --no-obsolete "$po" | grep '^msgid ' | grep -v '^msgid ""$' | head -20
    msgattrib --only-fuzzy --no-obsolete "$po" | grep '^msgid ' | grep -v '^msgid ""$' | head -20
    status=1
  fi
  compiled=$(mktemp)
  msgfmt --output-file "$compiled" "$saved/locale/$language/LC_MESSAGES/django.po"
  if ! cmp -s "$compiled" "$saved/locale/$language/LC_MESSAGES/django.mo"; then
    echo "$language: django.mo is not compiled from django.po (run 'make messages')"
    status=1
  fi
  rm -f "$compiled"
done
[ $status -eq 0 ] && echo "Translations complete: nl and en."
exit $status
