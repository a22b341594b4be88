"""The per-realm OIDC endpoints, one module each (docs/wire-contract.md §2, §5); what they share is in
``oidc.views.endpoint``. Thin: parse, call one service, answer JSON."""
