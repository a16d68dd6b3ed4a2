"""One training recipe per model: `python -m recipes.<name>.recipe` or `zoo train <name>`."""
