"""The product's side of accounts: sign-up, sign-in and password flows, OIDC sign-in, profiles, administration."""
