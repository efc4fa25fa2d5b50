"""Whether the page a held article's address now redirects to is that article, from what the page
says of itself: its canonical address (`<link rel=canonical>`, `og:url`) and its title (`og:title`,
`<title>`, its first `<h1>`), compared with the article's address and the title the archive holds
for it (the one Chromium read when it captured the article).

Only consulted where the addresses alone cannot tell the page from the article, or call it
another page of the article's site with no more evidence than that its address is not the
article's (`urls.CONTENT_MAY_TELL`): a site that renamed an article without an ID in its address,
changed its date, or dropped a parameter of its query. What a page says of itself is the site's
own word about it; but a wall, a front page, a listing or a page "not found" may well carry the
article's title or link (a paywall keeps the article's tags, a tag page its name), and another
site's copy with the article's title or canonical link is a copy: those are never read so.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..index.urls import article_keys, url_key, without_tracking


@dataclass(frozen=True)
class PageMarks:
    """What a page says of itself: its titles (`og:title`, `<title>`, its first `<h1>`, in that
    order, white space folded, each once, the empty ones left out), its canonical link and `og:url` (absolute, None when absent)
    and the name it gives its site (`og:site_name`, `application-name`)."""

    titles: tuple[str, ...]
    canonical: str | None
    og_url: str | None
    site_name: str | None


def page_marks(page: str, url: str) -> PageMarks:
    """The marks of the HTML `page` answered at `url` (relative links resolved against it)."""
    from selectolax.lexbor import LexborHTMLParser  # lazy: keeps `archiver --help` fast

    from ..detect.depth import for_parser

    tree = LexborHTMLParser(for_parser(page))
    og_title, site_name = _meta(tree, "og:title"), _meta(tree, "og:site_name") or _meta(tree, "application-name")
    title_node, h1 = tree.css_first("title"), tree.css_first("h1")
    titles = [og_title, title_node.text() if title_node is not None else None,
              h1.text(separator=" ") if h1 is not None else None]
    link = next((node.attributes.get("href") for node in tree.css("link[rel][href]")
                 if "canonical" in (node.attributes.get("rel") or "").lower().split()), None)
    return PageMarks(tuple(dict.fromkeys(" ".join(t.split()) for t in titles if t and t.strip())),
                     _absolute(link, url), _absolute(_meta(tree, "og:url"), url), site_name)


def _meta(tree: Any, prop: str) -> str | None:
    node = tree.css_first(f'meta[property="{prop}"]') or tree.css_first(f'meta[name="{prop}"]')
    value = node.attributes.get("content") if node is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _absolute(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    try:
        found = urljoin(base, link.strip())
    except ValueError:
        return None
    return found if urlsplit(found).scheme in ("http", "https") else None


def normal_title(title: str) -> str:
    """A title as compared: entities decoded, Unicode compatibility forms folded (NFKC), case
    folded, every run of white space one space, and the dashes and quotes typography varies on
    written one way."""
    text = unicodedata.normalize("NFKC", _html.unescape(title)).casefold()
    text = text.translate(_TYPOGRAPHY)
    return " ".join(text.split())


_TYPOGRAPHY = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'",
                             "\u201c": '"', "\u201d": '"', "\u00a0": " "})
# What sites put between a page's own title and their name (`River flood | News Example`,
# `River flood - News Example`, `News Example: River flood` is not one: a colon is part of many titles).
_SEPARATOR = re.compile(r"\s+(?:\||-|·|•|»|::)\s+")


def _squashed(text: str) -> str:
    """Only the letters and digits of `text`, case folded: a site's name as written in a title and
    as its host spells it (`News Example`, `news.example`) alike."""
    return "".join(ch for ch in normal_title(text) if ch.isalnum())


def site_names(*urls: str, named: str | None = None) -> set[str]:
    """The names (`_squashed`) a site of `urls` may give itself in its pages' titles: its host
    without a `www.`, `m.` or `amp.` door, whole or without its last label (`news.example`,
    `news`; `theguardian.com`, `theguardian`), and the name its page gives (`og:site_name`)."""
    names = {_squashed(named)} if named else set()
    for url in urls:
        host = (urlsplit(url).hostname or "").lower()
        for door in ("www.", "m.", "mobile.", "amp."):
            if host.startswith(door) and "." in host[len(door):]:
                host = host[len(door):]
                break
        labels = host.split(".")
        names.update({_squashed(host), _squashed(".".join(labels[:-1])) if len(labels) > 1 else ""})
    return {name for name in names if name}


def title_forms(title: str, sites: set[str]) -> set[str]:
    """`title` normalised (`normal_title`), and without its site's name where a separator sets
    it apart at its end or its start (`River flood | News Example`, `News Example - River flood`:
    `river flood`); only a part that is a name of `sites` is taken off (`River flood - live` keeps
    its `live`). A title that is its site's name alone gives nothing: it names no article."""
    whole = normal_title(title)
    forms = {whole}
    separators = list(_SEPARATOR.finditer(whole))
    if separators:
        first, last = separators[0], separators[-1]
        if _squashed(whole[last.end():]) in sites:
            forms.add(whole[:last.start()])
        if _squashed(whole[:first.start()]) in sites:
            forms.add(whole[first.end():])
    return {form for form in forms if form and _squashed(form) not in sites}


def _shared_suffix(one: str, other: str) -> str | None:
    """The part both titles end with after a separator (`… | News Example`): the name the site puts
    on its pages."""
    a, b = _SEPARATOR.split(normal_title(one)), _SEPARATOR.split(normal_title(other))
    return a[-1] if len(a) > 1 and len(b) > 1 and a[-1] == b[-1] else None


def _names_article(link: str, held: str, given: str) -> bool:
    keys = {*article_keys(held), *(article_keys(given) if given != held else ())}
    return url_key(without_tracking(link)) in keys or url_key(link) in keys


def _names_itself(link: str, reached: str) -> bool:
    return url_key(without_tracking(link)) in article_keys(reached)


def same_article(held: str, given: str, held_title: str | None, reached: str, marks: PageMarks) -> str | None:
    """Why the page reached at `reached` (its `marks`), where the address of the article held at
    `held` (given to the run as `given`) redirected, is that article: "its canonical link is the
    article's" (its `<link rel=canonical>` or `og:url` names the article's address, in any
    spelling `urls.article_keys` gives, tracking parameters left out), "its title is the
    article's" (one of its titles, `title_forms`, is one of `held_title`'s, with or without the
    site's name), or both; None when neither is (a live blog or a follow-up on the story, titled
    otherwise). A page whose canonical link or `og:url` names a third page, neither the article nor
    itself, is that page's copy, or says two things of itself: neither its title nor its other link
    makes it the article. Only of a page of the
    article's site, of a kind its address left open (`urls.CONTENT_MAY_TELL`): the caller's to
    ensure."""
    links = [(name, link) for name, link in (("canonical link", marks.canonical), ("og:url", marks.og_url)) if link]
    if any(not _names_article(link, held, given) and not _names_itself(link, reached) for _n, link in links):
        return None
    said = next((name for name, link in links if _names_article(link, held, given)), None)
    titled = False
    if held_title:
        sites = site_names(held, reached, named=marks.site_name)
        if marks.titles:
            shared = _shared_suffix(held_title, marks.titles[0]) or next(
                (s for t in marks.titles if (s := _shared_suffix(held_title, t))), None)
            if shared:
                sites.add(_squashed(shared))
        own = title_forms(held_title, sites)
        titled = any(title_forms(title, sites) & own for title in marks.titles)
    if said and titled:
        return f"its title and {said} are the article's"
    if said:
        return f"its {said} is the article's"
    return "its title is the article's" if titled else None
