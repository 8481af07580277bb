"""The knowledge base as the portal runs it: loading content, readers' pages and search, staff editing."""
