"""The admin: categories, tags and the blog's settings are edited here; articles, posts and
comments are written and moderated on the desk's pages (revisions kept, nothing deleted)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from soporte.knowledge.models import Article, BlogSettings, Category, Comment, Post, Tag


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)


@admin.register(BlogSettings)
class BlogSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reminder_days", "comments_per_hour", "max_links")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("title", "visibility", "status", "owner", "updated_at")
    list_filter = ("visibility", "status")
    search_fields = ("title",)


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "author", "published_at")
    list_filter = ("status",)
    search_fields = ("title",)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("author_name", "post", "status", "created_at")
    list_filter = ("status",)
