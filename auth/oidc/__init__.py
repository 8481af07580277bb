"""Sign-in through OpenID Connect providers: configuration, discovery, the code flow, ID tokens, identities."""
