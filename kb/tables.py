"""The knowledge base in the database, the one truth: categories, articles, revisions, feedback,
the search log, and the change log every process's search index follows."""

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

# Authors and voters are accounts; referenced by name so that kb never imports auth.
USER = LazyTableReference(table_class_name="User", module_path="auth.tables")


class Status(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Category(Table, tablename="kb_category"):
    slug = Varchar(length=80, unique=True)
    name_en = Varchar(length=120)
    name_ru = Varchar(length=120)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class Article(Table, tablename="kb_article"):
    slug = Varchar(length=200, unique=True)
    locale = Varchar(length=5, default="en", index=True)
    translation_key = Varchar(length=200, default="", index=True)
    title = Text()
    summary = Text(default="")
    body = Text(default="")
    category = ForeignKey(Category, null=True, default=None, on_delete=OnDelete.set_null)
    tags = Text(default="")  # comma-separated, lower-case
    status = Varchar(length=10, choices=Status, default=Status.DRAFT, index=True)
    author = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    views = Integer(default=0)
    helpful_yes = Integer(default=0)
    helpful_no = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    published_at = Timestamptz(null=True, default=None)


class Revision(Table, tablename="kb_revision"):
    """Every saved version of an article, so staff can compare and restore."""

    article = ForeignKey(Article, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    title = Text()
    summary = Text(default="")
    body = Text(default="")
    category_slug = Varchar(length=80, default="")
    tags = Text(default="")
    status = Varchar(length=10, default=Status.DRAFT)
    author = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    note = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Feedback(Table, tablename="kb_feedback"):
    """ "Was this helpful?": a vote and, when it was not, what was missing."""

    article = ForeignKey(Article, on_delete=OnDelete.cascade, index=True)
    helpful = Boolean()
    comment = Text(default="")
    user = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class SearchLog(Table, tablename="kb_search_log"):
    token = Varchar(length=16, unique=True)  # carried by the result links, to tie a click to its search
    query = Varchar(length=500)
    locale = Varchar(length=5)
    category = Varchar(length=80, default="")
    results = Integer(default=0)
    clicked = ForeignKey(Article, null=True, default=None, on_delete=OnDelete.set_null)
    user = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    source = Varchar(length=10, default="page")  # page, api, suggest, ticket
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class IndexChange(Table, tablename="kb_index_change"):
    """An article changed: each process's index applies the entries newer than the last it applied."""

    article_id = Integer(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Deflection(Table, tablename="kb_deflection"):
    """A customer about to file a ticket found the answer in this article instead: no ticket was made."""

    article = ForeignKey(Article, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(USER, null=True, default=None, on_delete=OnDelete.set_null)
    query = Varchar(length=500, default="")  # what the customer had written as the ticket's subject
    form_key = Varchar(length=40, default="", index=True)  # the ticket form it came from: one record per form
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
