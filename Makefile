.PHONY: run test bench lint
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
bench:
	.venv/bin/python -m bench.all
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
