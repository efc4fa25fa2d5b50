"""The normalised form under which an article's URL is matched (`articles.url_key`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit


def url_key(url: str) -> str:
    """The URL with surrounding space and trailing slashes removed, scheme and host lower-cased,
    the scheme's default port dropped: the spellings of one article's address that people type
    interchangeably."""
    return same_server(url.strip()).rstrip("/")


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def same_server(url: str) -> str:
    """`url` with its scheme and host in lower case and without its scheme's default port
    (`HTTPS://News.Example:443/a` -> `https://news.example/a`): what names the same server the
    same way (RFC 3986, 6.2.2.1 and 6.2.3); the rest as written. Unparsable: as it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not (parts.scheme and parts.netloc):
        return url
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default and netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


# Query parameters that only tell analytics where a reader came from (campaign tags, ad-click IDs,
# mailing-list IDs): the page is the same without them. `utm_*` is matched as a prefix.
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id", "mkt_tok",
})


def without_tracking(url: str) -> str:
    """An article's address without its `#fragment` (never sent to the server) and without the
    query parameters that only track where a reader came from (`utm_source`, `fbclid`, ...): the
    same page, as social shares and newsletters hand it out under many spellings. Every other
    parameter stays, in its order; anything unparsable is returned as it is."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not (parts.fragment or parts.query):
        return url.strip() if not parts.fragment else urlunsplit(parts._replace(fragment=""))
    # Parameters are dropped as written (the others keep their spelling and encoding).
    kept = [pair for pair in parts.query.split("&") if not _tracks(pair.partition("=")[0])]
    return urlunsplit(parts._replace(query="&".join(kept), fragment=""))


def _tracks(name: str) -> bool:
    name = unquote_plus(name).strip().lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


# What a URL holds as written, encoded or not: RFC 3986's unreserved and reserved characters and `%`.
_URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")


def as_fetched(url: str) -> str | None:
    """`url` as the archive holds an address it fetched, when that differs from how it is written:
    the address its HTTP client (httpx) answered from, its host in IDNA (`bücher.example` ->
    `xn--bcher-kva.example`), the rest percent-encoded as UTF-8 (`?x=ü` -> `?x=%C3%BC`). None when
    it is written so already, or when the client could not fetch it either."""
    if all(ch in _URL_CHARS for ch in url):
        return None  # what httpx would change is none of it: no need to load it (lookup stays light)
    import httpx

    try:
        encoded = str(httpx.URL(url))
    except (httpx.InvalidURL, ValueError):  # idna's errors are ValueErrors
        return None
    return encoded if encoded != url else None


_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|urn:", re.IGNORECASE)


def article_keys(given: str) -> tuple[str, ...]:
    """The `url_key`s an article typed as `given` may be held under.

    A URL with its scheme is looked for as typed, as the archive's fetch spells it (`as_fetched`:
    `https://bücher.example/seite?x=ü` is held as `https://xn--bcher-kva.example/seite?x=%C3%BC`),
    under the other of http and https, and without its tracking parameters and fragment (`without_tracking`: an article archived since is held
    under that address; one archived before under the address given). Without one (`news.example/2024/story.html`, or a
    file's path as it was passed to `archive`), it may be a web address, held under https or http,
    or a local file, held under the `file:` URL of its absolute path: each is looked for.
    """
    given = given.strip()
    if not given:
        return ()
    if _SCHEME_RE.match(given):
        spellings = [given, without_tracking(given)]
        spellings += [encoded for s in spellings if (encoded := as_fetched(s)) is not None]
        for spelling in list(spellings):  # http and https: one article, as people type it
            scheme, _, rest = spelling.partition("://")
            if scheme.lower() in ("http", "https"):
                spellings.append(("https" if scheme.lower() == "http" else "http") + "://" + rest)
        return _encodable(url_key(s) for s in spellings)
    keys = [url_key(spelling) for scheme in ("https", "http")
            for typed in (f"{scheme}://{given}", without_tracking(f"{scheme}://{given}"))
            for spelling in (typed, as_fetched(typed)) if spelling is not None]
    try:
        keys.append(url_key(Path(given).resolve().as_uri()))  # (bytes no UTF-8 in a name: percent-encoded)
    except (OSError, ValueError):
        pass  # no such path can have been archived (a NUL, a name too long)
    return _encodable(keys)


def _encodable(keys: Iterable[str]) -> tuple[str, ...]:
    """`keys` once each, in order, without those holding bytes that are no UTF-8 (lone surrogates,
    from an argument typed in another encoding): no address is held so."""
    from archiver.sources import not_utf8

    return tuple(dict.fromkeys(key for key in keys if not not_utf8(key)))


def as_captured(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The addresses an article capture may have been made at for `url_key`s `keys` (as
    `article_keys` gives them): each as it is and with the trailing slash `url_key` takes off. A
    held article whose address redirected to its own new address is captured there, and is found
    by it so."""
    return tuple(dict.fromkeys(spelling for key in keys for spelling in (key, key + "/")))


# A path's parts that name one article: a run of five digits or more (a year, a month or a day is
# shorter), or a hexadecimal ID of eight characters or more with both digits and letters.
_ID_TOKEN = re.compile(r"^(?:\d{5,}|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,})$")
# The last part of a path that is no article's own name (the page of a folder, its mobile copy).
_NO_SLUG = frozenset({"index", "default", "amp"})
_EXTENSION = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cfm)$")
_NOT_FOUND = re.compile(r"(?:^|[/_.-])(?:404|410|not-?found|notfound|page-?not-?found|error)(?:$|[/_.-])")
_WALL_WORD = (r"(?:log-?in|sign-?in|sign-?up|signon|subscribe|subscription|register|paywall|accounts?|auth|sso|"
              r"consent|privacy-?gate|gdpr)")
# A host's first label that names a wall (`consent.example.com`, `login.example.com`).
_WALL = re.compile(rf"(?:^|[_.-]){_WALL_WORD}(?:$|[_.-])")
# A part of a path that names a wall: a wall's word alone, or with one other word (`/login`,
# `/account/sign-in`, `/subscribe-now`, `/my-account`); an article's name says more
# (`/2024/accounts-of-the-flood.html`, `/register-to-vote-by-friday`).
_WALL_PART = re.compile(rf"(?:{_WALL_WORD}|{_WALL_WORD}[_.-]\w+|\w+[_.-]{_WALL_WORD})")
# A part of a path that is an article's, after which a wall's word named a section (`/register/2024/…`).
_ARTICLE_PART = re.compile(r"(?:19|20)\d\d|[^/_.-]+(?:[_.-][^/_.-]+){2,}")
# What `moved_away` calls a wall a reader must pass (log in, subscribe, or consent to tracking):
# the article may well be behind it, unseen.
WALL = "a login, subscription or consent page"
# What it calls anything else on the article's site that is not the article.
OTHER_PAGE = "another page of its site"
# What it calls a page of the article's site named by an ID alone where the article's address held
# none: the article's new address as likely as another page, nothing in the addresses tells which.
ID_ALONE = "a page of its site named by an ID alone, the article's new address or another page: the addresses cannot tell"
# What it calls a page of the article's site whose name keeps the article's name's words with words
# added: the article renamed as likely as another page on its story, nothing in the addresses tells which.
WORDS_KEPT = ("a page of its site whose name keeps the article's words: the article renamed, or another page on its "
              "story (a live blog, a follow-up): the addresses cannot tell")
# The verdicts that say the addresses cannot tell the page reached from the article: it is not read
# as the article, but not said not to be it either.
UNTOLD = frozenset({ID_ALONE, WORDS_KEPT})


@dataclass(frozen=True)
class Redirect:
    """A held article's address redirected: the addresses a rule of `RULES` reads, parsed once.
    `homes` are the held address and the address given (the article's own, two spellings or an
    old one that led to it), `home_paths` their paths; `path` is the reached address's path and
    `parts` its folders and name; each path decoded and in lower case."""

    held: str
    given: str
    reached: str
    to: SplitResult
    homes: tuple[SplitResult, ...]
    home_paths: tuple[str, ...]
    path: str
    parts: tuple[str, ...]
    elsewhere: bool  # on no site of the article's (`_site`: its `www.`, `m.`, `amp.` hosts are one)


@dataclass(frozen=True)
class Rule:
    """One rule of `moved_away`: its name, the test on the addresses, and its verdict when the test
    holds (None: the page reached is the article)."""

    name: str
    holds: Callable[[Redirect], bool]
    verdict: str | None


def _same_address(r: Redirect) -> bool:
    """One spelling of the article's address (http and https, a trailing slash, the host's case,
    tracking parameters), held or given."""
    return _spelt_alike(r.held, r.given, r.reached)


def _spelt_alike(held: str, given: str, reached: str) -> bool:
    same = {*article_keys(held), *(article_keys(given) if given != held else ())}
    return url_key(without_tracking(reached)) in same or url_key(reached) in same


def _on_wall_host(r: Redirect) -> bool:
    """A wall on a host of its own (`consent.example.com`, `login.example.com`), not the article's."""
    host = (r.to.hostname or "").lower()
    return bool(_WALL.search(host.split(".", 1)[0])) and host not in {(h.hostname or "").lower() for h in r.homes}


# The query parameters that put a wall before the page they are added to, by their whole name
# (`?consent=1`, `?login=1`), not a name holding a wall's word (`?signup_source=newsletter`,
# `?login_hint=x`, `?account_id=x`, `?auth_token=x`: where a reader came from, who they are). A
# part put after the article's path is a wall's by `_WALL_PART` (`/article/8812345/subscribe-now`
# too): read as no wall, that page would be the article, by its ID.
_WALL_PARAMETERS = frozenset({
    "consent", "gdpr", "gdpr_consent", "cookie_consent", "login", "signin", "sign_in", "paywall", "regwall",
})
# The query parameters that ask a reader to subscribe, register or sign on (`?subscribe=1`,
# `?subscription=required`, `?sso=1`, `?signup` alone), by their whole name too: a wall's, unless
# their value says no (`?subscribe=false`, `?register=0`, `?signup=`: none asked).
_WALL_ASKING_PARAMETERS = frozenset({
    "subscribe", "subscription", "register", "registration", "signup", "sign_up", "auth", "sso",
})
# The values that say no to what such a parameter asks.
_NO_VALUES = frozenset({"", "0", "false", "no", "off", "none", "null", "n", "f"})


def _wall_parameter(pair: str) -> bool:
    """Whether the query's `name=value` pair `pair` puts a wall before its page (`_WALL_PARAMETERS`,
    `_WALL_ASKING_PARAMETERS`)."""
    name = _query_name(pair)
    if name in _WALL_PARAMETERS:
        return True
    return name in _WALL_ASKING_PARAMETERS and ("=" not in pair
                                                or unquote_plus(pair.partition("=")[2]).strip().lower() not in _NO_VALUES)


def _wall_on_its_page(r: Redirect) -> bool:
    """The article's own page asking for a login, a subscription or consent: a wall's parameter
    added to its address (`/article/8812345?consent=1`) or a wall's part put after its path
    (`/article/8812345/consent`, `/2024/03/10/council-vote/login`), where, that left out, the
    address is the article's (its path, ID or name kept), not a folder above it (its section's
    listing, `/section/100001/?consent=1`, is another page)."""
    own = {_query_name(pair) for home in r.homes for pair in home.query.split("&")}
    if any(_wall_parameter(pair) for pair in r.to.query.split("&") if _query_name(pair) not in own):
        if _folder_above(r):
            return False
        page = r
    elif r.parts and _WALL_PART.fullmatch(last := _EXTENSION.sub("", r.parts[-1])) \
            and last not in {_EXTENSION.sub("", part) for old in r.home_paths for part in old.split("/")}:
        path = "/" + "/".join(r.parts[:-1])
        page = replace(r, path=path, parts=r.parts[:-1])
    else:
        return False
    return _same_path(page) or _same_id(page) or _same_slug(page)


def _query_name(pair: str) -> str:
    return unquote_plus(pair.partition("=")[0]).strip().lower()


def _front_page(r: Redirect) -> bool:
    """`/`, `/index.html`, `/home`: a site's front page."""
    return all(_EXTENSION.sub("", part) in ("index", "default", "home") for part in r.parts)


def _folder_above(r: Redirect) -> bool:
    """On its site, a folder the article's address is in (`/section/100001/` above
    `/section/100001/story`): the listing of its section, whatever ID the folder's name holds; not
    the folder an AMP copy or an index page of the article is in (`/story-12345/` above
    `/story-12345/amp`)."""
    if r.elsewhere:
        return False
    parts = list(r.parts)
    while parts and _EXTENSION.sub("", parts[-1]) in _NO_SLUG:
        parts.pop()  # the folder's own page (`/section/100001/index.html`, `/section/100001/amp`)
    if parts:
        parts[-1] = _EXTENSION.sub("", parts[-1])  # the folder's page beside it (`/section/100001.html`)
    for old in r.home_paths:
        above = [part for part in old.split("/") if part]
        if len(parts) < len(above) and above[:len(parts)] == parts \
                and not all(_EXTENSION.sub("", part) in _NO_SLUG for part in above[len(parts):]):
            return True
    return False


def _same_path(r: Redirect) -> bool:
    """The article's own path, on its site or on a new domain, its query kept where its path names
    no article (`_keeps_query`: `/article.php?id=1234` and `/article.php?id=5678` are two articles)."""
    return any(old.rstrip("/") == r.path.rstrip("/") and _keeps_query(home, old, r.to)
               for home, old in zip(r.homes, r.home_paths))


def _query_ids(address: SplitResult) -> set[str]:
    """The IDs (`_ID_TOKEN`) the query of `address` holds, in its parameters' names or values."""
    return _ids(re.sub(r"[&=;]", "/", unquote_plus(address.query).lower()))


def _names_an_article(path: str) -> bool:
    """Whether `path` names an article by itself: it holds an ID or a date, or a name of two words
    or more (`/2024/05/03/x`, `/news/river-flood`, `/article/8812345`); not a script's or a
    folder's that serves every article by its query (`/article.php`, `/viewtopic.php`,
    `/news/item`, `/index.php`, `/`)."""
    return bool(_ids(path)) or _date(path) is not None or len(_parts(_name(path))) > 1


def _query_pairs(address: SplitResult) -> set[tuple[str, str]]:
    """The parameters of the query of `address` that are no tracking's, as (name in lower case,
    value as written)."""
    pairs = {(_query_name(pair), unquote_plus(pair.partition("=")[2]).strip())
             for pair in address.query.split("&") if pair}
    return {(name, value) for name, value in pairs if name and not _tracks(name)}


def _keeps_query(home: SplitResult, old: str, to: SplitResult) -> bool:
    """Whether `to` keeps what names the article in the query of its address `home` (path `old`):
    where that path names no article itself (`_names_an_article`: `/article.php?id=1234`,
    `/viewtopic.php?t=1234`), each of its parameters whose value is a number or an ID, a tracking
    one aside, with its value, whatever its length, and no other changed (one dropped, `&from=rss`,
    is no matter then; with no such parameter, each is kept); where the path names the article, the query does not matter (a share's `?sh=…`,
    `?cid=…`, `?v=…`)."""
    if _names_an_article(old):
        return True
    held, kept = dict(_query_pairs(home)), dict(_query_pairs(to))
    if any(kept[name] != value for name, value in held.items() if name in kept):
        return False
    # The parameters naming the article (a number's or an ID's value: `id=1234`, `idxno=123456`,
    # `t=123456`) are kept; the others may be dropped (`&from=rss`, `&ref=twitter`), where some such
    # names it, never changed.
    naming = {name for name, value in held.items() if value.isdigit() or _ids(value)}
    return naming <= kept.keys() if naming else held.items() <= kept.items()


def _same_id(r: Redirect) -> bool:
    """A path keeping the article's ID (`/2024/story-12345` -> `/news/new-title-12345`): an ID in
    the article's own name (`_name`: `/article/8812345`, `/8812345-river-flood`,
    `/2024/05/03/8812345.html`, `/river-flood-8812345`) kept anywhere; an ID in the folder just
    before the article's name, outside a listing's folder (`_id_folder`: `/news/8812345/river-flood`,
    `/news/article-13371234/river-flood.html`), kept in the new name (`/article/8812345`) or in the
    folder just before the new name, under any folders (`/news/8812345/council-blamed-for-flood`: a
    headline renamed; `/news/world/8812345/…`: a section added); or any ID of the article's path kept with its name
    (`/2024/03/10452/vote.html` -> `/amp/2024/03/10452/vote.html`). An ID in a listing's folder,
    or in a folder farther from the name, is no evidence: a section's or a topic's as likely as the
    article's (`/section/100001/river-flood` -> `/section/100001/another-story`, `/topics/100001`,
    `/news/100001/local/river-flood` -> `/article/100001`)."""
    new_name, new_folder = _ids(_name(r.path)), _id_folder(r.path)
    for old in r.home_paths:
        kept = _ids(old) & _ids(r.path)
        if not kept:
            continue
        own_name, old_folder = _ids(_name(old)), _id_folder(old)
        if kept & own_name or _same_name(_slug(old), _slug(r.path)):
            return True
        if old_folder and kept & old_folder[1] & new_name:
            return True
        if old_folder and new_folder and kept & old_folder[1] & new_folder[1]:
            return True
    return False


def _id_folder(path: str) -> tuple[int, set[str]] | None:
    """The place and the IDs of the folder just before the name of `path` (an `index.html`, `amp`
    after it passed over) when it holds an ID (`/news/8812345/river-flood`, `/news/article-13371234/…`)
    and the folder before it is no listing's (`_LISTING_FOLDERS`: `/section/100001/…` is none;
    NPR's `/sections/health-shots/2024/05/03/1234567890/…` is one); None otherwise."""
    segments = [s for s in path.split("/") if s]
    while segments and _EXTENSION.sub("", segments[-1]) in _NO_SLUG:
        segments.pop()
    if len(segments) < 2 or not (ids := _ids(segments[-2])) \
            or (len(segments) > 2 and _EXTENSION.sub("", segments[-3]) in _LISTING_FOLDERS):
        return None
    return len(segments) - 2, ids


def _same_slug(r: Redirect) -> bool:
    """A path keeping the article's own name, an ID or `amp` added to it or taken from it
    (`/2024/pulled-story.html` -> `/archive/pulled-story/`, `/2024/03/10/pulled-story.amp.html`
    -> `/news/pulled-story-12345`), a date written as one number too (`/pulled-story` ->
    `/pulled-story-20240310`), unless the two paths are dated on different days: `/2024/03/10/x`
    and `/x-20230101`, or `/2023/01/01/x`, are two articles of one name (a yearly event's), wherever
    each writes its dates (`/2024/03/10/x-20240311` is dated on two days: `_dated_alike`). Not
    the name of a path that names no article, unless its query is kept (`_keeps_query`): it is a
    script's (`/article.php?id=1234` -> `/article.php`, `/article.php?id=5678`)."""
    new = _slug(r.path)
    return any(_same_name(_slug(old), new) and _dated_alike(old, r.path) and _keeps_query(home, old, r.to)
               for home, old in zip(r.homes, r.home_paths))


def _words_kept(r: Redirect) -> bool:
    """On its site, a page whose name holds each of the article's own name's words (two or more),
    in any order, with words added (`river-flood` -> `river-flood-kills-three`, `river-flood-live`),
    where the addresses tell it is one story's page: in the article's folder, dated to the month or
    the day (`/2024/05/03/river-flood` -> `/2024/05/03/river-flood-kills-three`; the folder's date
    compared as a date, `/2024/5/3/` is `/2024/05/03/`, an `index.html` after the name left out)
    or holding an ID (`/section/100001/river-flood` -> `/section/100001/river-flood-coverage`: a
    section's ID or the article's, the addresses cannot tell), or under an ID the article's address had none of, on no other day
    (`/article/8812345-river-flood-kills-three`). The article renamed, as a site does when a
    headline grows, or another page on its story (`river-flood-live`, `-update-2`, `-photos`,
    `-opinion`, `-what-we-know`): the addresses cannot tell which (`WORDS_KEPT`). A number added
    alone (`council-vote-2` is how a site names another article of that name), a name shortened,
    another folder or one dated to the year alone: another page."""
    if r.elsewhere:
        return False
    new = _parts(_slug(r.path))
    folder = _folder(r.path)
    for old in r.home_paths:
        words = _parts(_slug(old))
        added = [word for word in new if word not in words]
        if len([w for w in words if re.search(r"[a-z]", w)]) < 2 or not set(words) <= set(new) \
                or not any(re.search(r"[a-z]", word) for word in added):
            continue
        if not _dated_alike(old, r.path):
            continue
        if _folder(old) == folder and (len(_date("/".join(folder)) or ()) >= 2 or _ids("/".join(folder))):
            return True
        if _ids(r.path) and not _held_ids(r):
            return True
    return False


def _folder(path: str) -> tuple[str, ...]:
    """The folders `path` names its page in: its parts but its name (an `index.html`, `amp` after
    it passed over), a number as its value and a month after a year as its number (`/2024/5/3/`,
    `/2024/05/03/` and `/2024/may/03/` are one folder)."""
    segments = [s for s in path.split("/") if s]
    while segments and _EXTENSION.sub("", segments[-1]) in _NO_SLUG:
        segments.pop()
    folder = segments[:-1]
    return tuple(str(int(s)) if s.isdigit()
                 else str(month) if i and _YEAR.match(folder[i - 1]) and (month := _month(s)) is not None else s
                 for i, s in enumerate(folder))


def _held_ids(r: Redirect) -> bool:
    """Whether the article's address (held or given) names an ID: in its path or its query."""
    return any(_ids(old) for old in r.home_paths) or any(_query_ids(home) for home in r.homes)


def _named_by_id_alone(r: Redirect) -> bool:
    """On its site, a page named by an ID alone, its last part that ID and no other part an ID
    (`/article/8812345`, `/2024/05/03/8812345.html`), where the article's address named it by date
    and name (`/2024/05/03/river-flood`) and held no ID (in its path or its query), on no other day:
    sites move an article so, and send an article they took down to another one so; the addresses
    hold nothing of the one in the other. (With the article's ID, or its name, it is the article, by
    the rules before; under another ID, another date, in a listing's folder, or an article's
    address with no date or no name, another page.)"""
    if r.elsewhere or not r.parts or _slug(r.path) or _held_ids(r):
        return False
    if _ids(r.path) != {_EXTENSION.sub("", r.parts[-1])}:
        return False
    return all(_date(old) is not None and _slug(old) and _dated_alike(old, r.path) for old in r.home_paths)


# The folders of a site's pages that are no article: its listings (a topic's, a tag's, a keyword's,
# a subject's, a section's, a series', a hub's, an author's or a person's, its search), its live
# pages (a live blog's: many stories' updates) and its media pages (a video's, a gallery's, a
# podcast's, a watch page).
_LISTING_FOLDERS = frozenset({
    "topic", "topics", "tag", "tags", "keyword", "keywords", "subject", "subjects", "section", "sections",
    "category", "categories", "series", "hub", "hubs", "search", "author", "authors", "people",
    "live", "live-updates", "liveblog", "liveblogs", "live-blog",
    "video", "videos", "watch", "gallery", "galleries", "photo", "photos", "pictures", "in-pictures",
    "podcast", "podcasts",
})


def _listing(r: Redirect) -> bool:
    """On its site, a page in a listing's or a media page's folder (`/topics/100001/river-flood-coverage`,
    `/tag/100001`, `/video/99999999/…`, `/gallery/8812345-…`, or `/live` itself) that is no folder
    of the article's own address (its name is none: `/2024/05/03/live` -> `/live` is the live
    listing): another page, whatever ID or words its name holds."""
    if r.elsewhere:
        return False
    own = {_EXTENSION.sub("", part) for old in r.home_paths for part in _folder(old)}
    return any((part := _EXTENSION.sub("", p)) in _LISTING_FOLDERS and part not in own for p in r.parts)


def _walled_path(r: Redirect) -> bool:
    return _walled(r.path, list(r.homes))


def _not_found(r: Redirect) -> bool:
    return bool(_NOT_FOUND.search(r.path))


# The rules `moved_away` applies, in this order; the first that holds gives its verdict (the last
# holds for any page). The order is the point: a spelling of the address is the article
# before anything else; a wall's own host, a wall on the article's own page and a front page are
# never the article, whatever their path holds; a folder above the article's address (its section's listing) is not the article
# though it holds its ID; then what keeps the article's path or ID is the article, on its site or
# on a new domain; a page in a listing's or a media page's folder is another page even when named
# as the article is (`/tag/river-flood`); what keeps its name is the article; of the rest, a wall's
# path, another site and a "not found" page are told apart, and two kinds of
# page of its site are said to be untold, recorded as gone, their
# reason saying the addresses cannot tell: a new name keeping its name's words in its dated folder
# or under a new ID (`WORDS_KEPT`: the article renamed, or a live blog or follow-up on its story),
# and a page named by an ID alone, where the article had none (`ID_ALONE`).
RULES: tuple[Rule, ...] = (
    Rule("same address", _same_address, None),
    Rule("wall host", _on_wall_host, WALL),
    Rule("wall on its page", _wall_on_its_page, WALL),
    Rule("another site's front page", lambda r: _front_page(r) and r.elsewhere, "another site"),
    Rule("front page", _front_page, "the site's home page"),
    Rule("folder above", _folder_above, OTHER_PAGE),
    Rule("same path", _same_path, None),
    Rule("same id", _same_id, None),
    Rule("a listing or media page", _listing, OTHER_PAGE),
    Rule("same name", _same_slug, None),
    Rule("wall path", _walled_path, WALL),
    Rule("another site", lambda r: r.elsewhere, "another site"),
    Rule("not found", _not_found, "a page not found"),
    Rule("its words kept", _words_kept, WORDS_KEPT),
    Rule("named by an ID alone", _named_by_id_alone, ID_ALONE),
    Rule("any other page", lambda _r: True, OTHER_PAGE),
)


def deciding_rule(held: str, given: str, reached: str) -> Rule:
    """The first rule of `RULES` that holds for a redirect of the article held at `held`, given to
    this run as `given`, to `reached`. Of an address that cannot be parsed, only its spelling can
    tell it is the article's (the first rule); otherwise it is any other page (the last)."""
    try:
        to, homes = urlsplit(reached), tuple(urlsplit(home) for home in dict.fromkeys((held, given)))
    except ValueError:
        return RULES[0] if _spelt_alike(held, given, reached) else RULES[-1]
    elsewhere = not any(_site(to.hostname) == _site(home.hostname) for home in homes)
    path = unquote_plus(to.path).lower()
    r = Redirect(held, given, reached, to, homes, tuple(unquote_plus(home.path).lower() for home in homes),
                 path, tuple(part for part in path.split("/") if part), elsewhere)
    return next(rule for rule in RULES if rule.holds(r))


def moved_away(held: str, given: str, reached: str) -> str | None:
    """Why `reached`, where fetching an article held at `held` (given to this run as `given`) was
    redirected to, is no longer that article, or not known to be it: "another site", "the site's
    home page", "a page not found", `WALL`, `OTHER_PAGE`, `WORDS_KEPT` or `ID_ALONE`; None when it
    is the same article at its canonical address. The rules and their order are `RULES`'
    (`deciding_rule` names the one that decides).

    The article: one spelling of its address (http and https, a trailing slash, the host's case,
    tracking parameters), or a page whose path keeps its ID (`/2024/story-12345` ->
    `/news/new-title-12345`; in the own name of one of the two, or in the folder just before the
    name outside a listing's folder, `/news/12345/story` -> `/news/12345/new-title`: `_same_id`) or its own name, an ID, a date written as
    one number or `amp` added to it or taken from it aside (`/2024/pulled-story.html` -> `/archive/pulled-story/`,
    `/2024/03/10/pulled-story.amp.html` -> `/news/pulled-story-12345`), the two addresses dated on
    no two days, on the same site (its `www.`, mobile `m.` and `amp.` hosts are one) or on another
    (a site moved to a new domain keeps its paths). The query's values are left out of it (a login
    wall's `?next=` names the article it stands in front of, a share's `?sh=…` nothing), but where
    the article's path names no article itself, each value of its query must be kept
    (`/article.php?id=1234` -> `/article.php?id=5678` is another page: `_keeps_query`), and the
    article's own address with a wall's parameter or part added (`?consent=1`, `/consent`) is `WALL`.

    Untold (`UNTOLD`) when the addresses cannot tell, recorded as gone with that reason:
    `WORDS_KEPT`, on its site a new name keeping its name's words with words added, in its folder
    dated to the month or the day or holding an ID, or under a new ID (`/2024/05/03/river-flood` ->
    `/2024/05/03/river-flood-kills-three`, or `-live`, `-photos`, `-what-we-know`): the article
    renamed, or another page on its story; `ID_ALONE`, an article addressed by date and name, no
    ID in its address, sent to a page of its site named by an ID alone, its last part
    (`/2024/05/03/river-flood` -> `/article/8812345`): it may have moved there or been taken down.
    A page in a listing's or a media page's folder (`/topics/…`, `/tag/…`, `/section/…`,
    `/video/…`, `/gallery/…`, `/hub/…`: `_LISTING_FOLDERS`) that keeps neither the article's path, ID nor name is another page. Only evidence in the
    addresses makes such a page the article: its ID in the old address, or its name kept in the new
    one (`/article/8812345-river-flood`); an ID other than the article's own, or another date,
    makes it another page."""
    return deciding_rule(held, given, reached).verdict


def _walled(path: str, homes: list[SplitResult]) -> bool:
    """True when `path` (lower case) is a wall's: one of its parts names one (`_WALL_PART`), and is
    neither a part of the article's own address (a section named "Register") nor followed by an
    article's part (`/register/2024/03/story.html`: a section of that name)."""
    own = {_EXTENSION.sub("", part) for home in homes for part in unquote_plus(home.path).lower().split("/") if part}
    parts = [_EXTENSION.sub("", part) for part in path.split("/") if part]
    for i, part in enumerate(parts):
        if part not in own and _WALL_PART.fullmatch(part) \
                and not any(_ARTICLE_PART.fullmatch(later) for later in parts[i + 1:]):
            return True
    return False


# The first part of a host name that names one site's other door (its mobile copy, its AMP copy).
_SITE_DOORS = ("www.", "m.", "mobile.", "amp.")


def _site(host: str | None) -> str:
    host = (host or "").lower().rstrip(".")
    for door in _SITE_DOORS:
        rest = host[len(door):]
        if host.startswith(door) and (door == "www." or "." in rest):
            return rest
    return host


def _parts(path: str) -> list[str]:
    return [part for part in re.split(r"[/_.\-]+", path) if part]


# A run of digits that is a date written without separators (`202403`, `20240310`): the articles of
# one month or one day share it, and a day's or a section's listing under it too.
_COMPACT_DATE = re.compile(r"^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])?$")


_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONTH = re.compile(r"^(?:0?[1-9]|1[0-2])$")
_DAY = re.compile(r"^(?:0?[1-9]|[12]\d|3[01])$")
# A month written by its name, in full or short (`/2024/may/03/`, `/2024/sep/03/`, `/2024/september/`).
_MONTH_NAMES = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}


def _month(text: str) -> int | None:
    """The month `text` names, as a number (`05`, `5`) or by its name in any case (`may`, `May`,
    `September`); None when it names none."""
    if _MONTH.match(text):
        return int(text)
    return _MONTH_NAMES.get(text.lower())


def _dates(path: str) -> list[tuple[int, ...]]:
    """The dates `path` is dated with, in their order, each to the year, month or day it names: its
    folders (`/2024/03/10/`, `/2024/03/`, `/2024/`, a month by its name too: `/2024/mar/10/`), a date written as one number (`20240310`,
    `202403`) or with dashes (`2024-03-10`) in a part of it (`/2024/03/10/story-20240311` is dated
    on both days)."""
    dates: list[tuple[int, ...]] = []
    segments = [s for s in path.split("/") if s]
    i = 0
    while i < len(segments):
        segment = segments[i]
        i += 1
        if _YEAR.match(segment):
            date = [int(segment)]
            for following, read in zip(segments[i:i + 2], (_month, _day)):
                if (value := read(following)) is None:
                    break
                date.append(value)
                i += 1
            dates.append(tuple(date))
            continue
        parts = _parts(_EXTENSION.sub("", segment))
        j = 0
        while j < len(parts):
            part = parts[j]
            if _COMPACT_DATE.match(part):
                dates.append((int(part[:4]), int(part[4:6]), *((int(part[6:]),) if len(part) == 8 else ())))
            elif _YEAR.match(part) and len(parts) >= j + 3 and (month := _month(parts[j + 1])) is not None \
                    and _DAY.match(parts[j + 2]):
                dates.append((int(part), month, int(parts[j + 2])))
                j += 2
            j += 1
    return dates


def _day(text: str) -> int | None:
    return int(text) if _DAY.match(text) else None


def _date(path: str) -> tuple[int, ...] | None:
    """The first date `path` is dated with (`_dates`); None when it names none."""
    dates = _dates(path)
    return dates[0] if dates else None


def _same_day(one: tuple[int, ...] | None, other: tuple[int, ...] | None) -> bool:
    """Two dates that may be of one day: either unknown, or the same as far as both go."""
    if one is None or other is None:
        return True
    common = min(len(one), len(other))
    return one[:common] == other[:common]


def _dated_alike(held: str, reached: str) -> bool:
    """Whether the path `reached` may be of the article at `held`'s day: each date either is
    dated with (`_dates`) is `_same_day` as some date of the other's, wherever each is written
    (`/2024/05/03/x` and `/x-20240504`, `/2024/05/03/x-20240504` or `/2023/01/01/x` are of other
    days; `/2024/05/03/results-20240331-quarter` and its copies, under any folder, are of its days;
    `/2024/05/03/x-20240504`, a follow-up of the day after, and `/2024/05/03/x` are two articles).
    Either dated with none: of one day, as far as the addresses tell."""
    dates, theirs = _dates(held), _dates(reached)
    return not dates or not theirs or (all(any(_same_day(date, own) for own in dates) for date in theirs)
                                       and all(any(_same_day(own, date) for date in theirs) for own in dates))


def _ids(path: str) -> set[str]:
    """The parts of `path` that name one article (`_ID_TOKEN`), a date written as one number left out."""
    return {part for part in _parts(path) if _ID_TOKEN.match(part) and not _COMPACT_DATE.match(part)}


def _name(path: str) -> str:
    """The last part of `path` that names its page, its extension left out, a folder's
    `index.html` or an AMP copy's `amp` passed over (`/2024/story-12345/amp` -> `story-12345`):
    the article's own name, its ID alone, or both joined; "" when there is none."""
    segments = [s for s in path.split("/") if s]
    while segments:
        name = _EXTENSION.sub("", segments.pop())
        if name in _NO_SLUG:
            continue
        return _AMP_SUFFIX.sub("", name)  # (`story.amp.html`, `story-amp`: the article's AMP copy)
    return ""


def _slug(path: str) -> str:
    """The article's own name in its path (`_name`, when it holds a letter); "" when there is none."""
    name = _name(path)
    return name if re.search(r"[a-z]", name) else ""


_AMP_SUFFIX = re.compile(r"[._-]amp$")


def _same_name(old: str, new: str) -> bool:
    """The article's own name kept: the same, or the same with an ID put before or after it
    (`pulled-story` -> `pulled-story-12345`, `12345-pulled-story`, and back). A short number added
    is no ID (`pulled-story-2` is how a site names another article of the same name)."""
    if not (old and new):
        return False
    short, long = sorted((_parts(old), _parts(new)), key=len)
    for start in range(len(long) - len(short) + 1):
        if long[start:start + len(short)] == short:
            return all(_ID_TOKEN.match(part) for part in long[:start] + long[start + len(short):])
    return False
