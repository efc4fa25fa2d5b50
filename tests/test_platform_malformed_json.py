"""A platform's JSON read whatever shape a server gives it: any host with a status-like address is asked
(Mastodon's software runs anywhere), so a field that is a number where a list was expected, or a list
where text was, must read as nothing, never stop the post's check with a TypeError."""

from __future__ import annotations

from typing import Any

import pytest

from archiver.platforms.bluesky.postcheck import _links, full_size_images
from archiver.platforms.mastodon.postcheck import content_links, html_text, mastodon_handle, status_fields
from archiver.platforms.reddit.postcheck import _children, full_size_media, thing_fields

ODD: list[Any] = [5, 2.5, True, "text", ["a", 1], {"a": 1}, None]


@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_mastodon_status_fields_of_any_shape(odd: Any) -> None:
    for field in ("media_attachments", "content", "card", "account", "created_at"):
        status = {"id": "1", "content": "<p>hi</p>", "account": {"acct": "a", "display_name": "A"}, field: odd}
        out = status_fields(status, "social.example", mastodon_handle)
        assert isinstance(out, dict)
    status = {"account": {"acct": "a", "display_name": odd}}
    assert "author" not in status_fields(status, "social.example", mastodon_handle) or isinstance(odd, str)
    assert html_text(odd) is None or isinstance(odd, str)
    assert content_links(odd) == [] or isinstance(odd, str)


@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_bluesky_embeds_and_facets_of_any_shape(odd: Any) -> None:
    assert full_size_images({"$type": "app.bsky.embed.images#view", "images": odd}) == []
    assert _links({"facets": odd}, None) == []
    assert _links({"facets": [{"features": odd}]}, {"external": odd}) == []


@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_reddit_things_of_any_shape(odd: Any) -> None:
    for field in ("author", "selftext", "title", "body", "created_utc", "url", "preview", "gallery_data"):
        thing = {"title": "A title", "author": "someone", field: odd}
        out = thing_fields(thing)
        assert isinstance(out, dict)
        assert out.get("text") is None or isinstance(out["text"], str)
    assert full_size_media({"gallery_data": {"items": odd}, "preview": {"images": odd}}) == []
    assert _children({"data": {"children": odd}}) == []


def test_a_post_an_article_cites_again_is_asked_about_with_the_status_held() -> None:
    """A platform's "no such post" says it is gone only of a post a check found there before: a post an
    article cites again (`--recapture`) carries the status held, as a re-check's stored row does."""
    from archiver.index.rows import StoredPost
    from archiver.models import Post
    from archiver.pipeline.posts import with_held
    from archiver.platforms.capture import found_there_before

    cited = Post(platform="vimeo", kind="linked", source="a.html", evidence="a[href]", post_id="100000001",
                 url="https://vimeo.com/100000001")
    for held, seen in (("live", True), ("deleted", True), ("unavailable", False), (None, False)):
        row = StoredPost(key="vimeo:100000001", platform="vimeo", post_id="100000001", url="https://vimeo.com/100000001",
                         status=held)
        asked = with_held(cited, row)
        assert found_there_before(asked) is seen, held
        assert asked.url == cited.url and asked.source == "a.html"
    assert not found_there_before(cited)
