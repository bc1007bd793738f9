"""The unified POS API (Apideck-compatible /pos/*) over any Clopos upstream."""
