# The two set-up commands are `make demo` and `make test`; see README.md.
PYTHON ?= python3
UV = $(PYTHON) -m uv
RUN = .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: demo test install uv serve migrate lint format typecheck bench messages check-messages static

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

install: uv
	$(UV) sync --frozen --quiet

migrate: install
	$(RUN) manage.py migrate --noinput
	$(RUN) manage.py createcachetable

demo: migrate
	$(RUN) manage.py seed_demo
	./scripts/serve-demo.sh

serve: migrate
	./scripts/serve-demo.sh

test: install
	.venv/bin/pytest

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

typecheck: install
	.venv/bin/mypy ttc

bench: install
	$(RUN) -m bench

# Refresh the translation catalogues after changing UI text, then translate
# the new entries in ttc/locale/nl/LC_MESSAGES/django.po.
messages: install
	cd ttc && ../$(RUN) ../manage.py makemessages --locale nl --locale en --no-obsolete --add-location file
	msgattrib --clear-fuzzy --empty --clear-previous --output-file ttc/locale/en/LC_MESSAGES/django.po ttc/locale/en/LC_MESSAGES/django.po
	msgen --output-file ttc/locale/en/LC_MESSAGES/django.po ttc/locale/en/LC_MESSAGES/django.po
	cd ttc && ../$(RUN) ../manage.py compilemessages

# Fails when a UI string has no Dutch translation.
check-messages: install
	./scripts/check-messages.sh

static:
	./scripts/refresh-static.sh
