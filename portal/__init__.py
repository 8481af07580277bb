"""The customer self-service portal: the product around the knowledge base."""
