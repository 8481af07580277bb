"""The knowledge base: articles, Markdown rendering, front matter and the Whoosh search index."""
