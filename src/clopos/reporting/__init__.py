"""Tools for people: export receipts/orders, watch orders live, daily reports."""
