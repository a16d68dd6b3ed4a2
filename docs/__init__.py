"""The docs site's generators (`docs.generate`); the pages themselves are in `docs/pages/`."""
