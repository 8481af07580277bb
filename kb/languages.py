"""The languages the knowledge base is written in and analysed for: the one list the whole product uses."""

LOCALES = ("en", "ru")
