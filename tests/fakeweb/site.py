"""All the invented data the fake web serves: people, posts, short links, snapshots, articles.

Every name, handle and text here is made up. IDs are real-looking 2024 snowflakes, so their
time (`(id >> 22) + 1288834974657` ms) matches `created_at`. Tests import these constants
instead of repeating literals (e.g. `site.TWEET_PHOTO.id`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Tweet states understood by the server (set_state(("tweet", ID), STATE)).
LIVE = "live"
DELETED = "deleted"
PROTECTED = "protected"
WITHHELD = "withheld"
SUSPENDED = "suspended"
TWEET_STATES = (LIVE, DELETED, PROTECTED, WITHHELD, SUSPENDED)


@dataclass(frozen=True)
class User:
    """A Twitter/X account."""

    id_str: str
    screen_name: str
    name: str
    avatar_path: str  # path on pbs.twimg.com, without the _normal/_400x400 suffix and extension
    verified: bool = False
    is_blue_verified: bool = False

    @property
    def avatar_url(self) -> str:
        return f"https://pbs.twimg.com{self.avatar_path}_normal.jpg"


@dataclass(frozen=True)
class Photo:
    """A photo attached to a tweet; `key` is the pbs.twimg.com/media/<key> name."""

    key: str
    id_str: str
    width: int
    height: int
    small_width: int
    small_height: int

    @property
    def media_url_https(self) -> str:
        return f"https://pbs.twimg.com/media/{self.key}.jpg"

    @property
    def orig_url(self) -> str:
        return f"https://pbs.twimg.com/media/{self.key}?format=jpg&name=orig"


@dataclass(frozen=True)
class VideoVariant:
    """One encoding of a video; `size` is the exact number of bytes served for it."""

    bitrate: int | None  # None for the HLS playlist
    content_type: str
    path: str  # on video.twimg.com, including the query string
    size: int

    @property
    def url(self) -> str:
        return f"https://video.twimg.com{self.path}"


@dataclass(frozen=True)
class Video:
    """A native video attached to a tweet."""

    id_str: str
    thumb_path: str  # on pbs.twimg.com
    width: int
    height: int
    duration_ms: int
    variants: tuple[VideoVariant, ...]

    @property
    def thumb_url(self) -> str:
        return f"https://pbs.twimg.com{self.thumb_path}"

    @property
    def best_mp4(self) -> VideoVariant:
        return max((v for v in self.variants if v.bitrate is not None), key=lambda v: v.bitrate or 0)


@dataclass(frozen=True)
class Tweet:
    """One post. `text` is the full text as the syndication API returns it (t.co links included)."""

    id: str
    user: User
    text: str
    created_at: str  # ISO 8601 UTC, as the syndication API writes it
    signature_date: str  # as the publish.twitter.com blockquote prints it
    state: str = LIVE  # initial state; the server's state table overrides it
    lang: str = "en"
    photos: tuple[Photo, ...] = ()
    video: Video | None = None
    media_tco: str | None = None  # t.co code of the media link at the end of `text`
    urls: tuple[tuple[str, str], ...] = ()  # (t.co code, expanded URL) links in the text
    wayback: tuple[str, ...] = ()  # 14-digit timestamps of Wayback Machine snapshots
    withheld_in: str = "Germany"
    favorite_count: int = 0

    @property
    def status_url(self) -> str:
        return f"https://twitter.com/{self.user.screen_name}/status/{self.id}"

    @property
    def x_url(self) -> str:
        return f"https://x.com/{self.user.screen_name}/status/{self.id}"

    @property
    def media_kind(self) -> str:
        return "video" if self.video else "photo"


# --- people -------------------------------------------------------------------------------------

DESK = User("297151386", "RivertonDesk", "Riverton News Desk", "/profile_images/1697549859026197677/rVd3sk0n")
MEI = User(
    "1101421820117592501",
    "mei_hydro",
    "林美 Mei Lin 🌧️",  # CJK and emoji in a display name: screenshots and tables must show both
    "/profile_images/1723279397484634854/m31Hydr0",
    is_blue_verified=True,
)
HARTWELL = User("631404758432198457", "cllr_hartwell", "Cllr. Dana Hartwell", "/profile_images/1697550011234451456/dH4rtw3l")
OKAFOR = User("822383163603407619", "quietgardener", "Ruth Okafor", "/profile_images/1697551122334455667/r0kaf0rG")
TRUTH = User("1723279397484634854", "rivertruthnow", "River Truth Now ‼️", "/profile_images/1723280011122233344/tRuThNw0")

USERS = (DESK, MEI, HARTWELL, OKAFOR, TRUTH)

# --- posts --------------------------------------------------------------------------------------

TWEET_PHOTO = Tweet(
    id="1764718078373491923",
    user=DESK,
    text=(
        "Sandbags going up along Mill Street as the Cole River passes 5.2 m. "
        "Stay away from the riverbank tonight. #RivertonFlood https://t.co/Qm4Lp2XvBn"
    ),
    created_at="2024-03-04T18:22:31.000Z",
    signature_date="March 4, 2024",
    photos=(Photo("GH3kQ1xWAAAu7Yd", "1764718011239526400", 1200, 800, 680, 453),),
    media_tco="Qm4Lp2XvBn",
    wayback=("20240305101010",),
    favorite_count=412,
)

TWEET_VIDEO = Tweet(
    id="1764919062983508363",
    user=MEI,
    text=(
        "Drone footage of the Cole River spilling over the levee near Ashford Road this morning 🚁 "
        "Full report: https://t.co/N3wsRvtn01 #RivertonFlood https://t.co/Vb7Yt3KdQe"
    ),
    created_at="2024-03-05T07:41:09.000Z",
    signature_date="March 5, 2024",
    video=Video(
        id_str="1764918732133101286",
        thumb_path="/ext_tw_video_thumb/1764918732133101286/pu/img/Yk3vT0aQm8Lp2XcR.jpg",
        width=1280,
        height=720,
        duration_ms=27_400,
        # Deliberately not sorted by bitrate: pick the best by `bitrate`, not by position.
        variants=(
            VideoVariant(
                None,
                "application/x-mpegURL",
                "/ext_tw_video/1764918732133101286/pu/pl/Q2nW8r5JtVb0LmXe.m3u8?tag=12&container=fmp4",
                0,  # size of the playlist is whatever its text is
            ),
            VideoVariant(
                832_000,
                "video/mp4",
                "/ext_tw_video/1764918732133101286/pu/vid/avc1/640x360/Q2nW8r5JtVb0LmXe.mp4?tag=12",
                12_288,
            ),
            VideoVariant(
                2_176_000,
                "video/mp4",
                "/ext_tw_video/1764918732133101286/pu/vid/avc1/1280x720/Q2nW8r5JtVb0LmXe.mp4?tag=12",
                40_001,
            ),
            VideoVariant(
                256_000,
                "video/mp4",
                "/ext_tw_video/1764918732133101286/pu/vid/avc1/480x270/Q2nW8r5JtVb0LmXe.mp4?tag=12",
                4_096,
            ),
        ),
    ),
    media_tco="Vb7Yt3KdQe",
    urls=(("N3wsRvtn01", "https://news.example/2024/riverton-flood.html"),),
    favorite_count=2_318,
)

# Deleted before any test runs: only the Wayback Machine still has it.
TWEET_DELETED = Tweet(
    id="1764377001294643971",
    user=HARTWELL,
    text=(
        "The Riverton levee is perfectly safe and there is no need for anyone on Ashford Road "
        "to evacuate. Rumours otherwise are irresponsible."
    ),
    created_at="2024-03-03T19:47:12.000Z",
    signature_date="March 3, 2024",
    state=DELETED,
    wayback=("20240303201512", "20240304083011"),
    favorite_count=57,
)

TWEET_PROTECTED = Tweet(
    id="1764985187184067035",
    user=OKAFOR,
    text="Our whole street on Elm Row is under water. Neighbours are passing sandbags over the fences 💧",
    created_at="2024-03-05T12:03:55.000Z",
    signature_date="March 5, 2024",
    state=PROTECTED,
)

TWEET_WITHHELD = Tweet(
    id="1764580460548813107",
    user=TRUTH,
    text="LEAKED: the dam upstream was opened on purpose to save the golf course. Share before they delete this!",
    created_at="2024-03-04T09:15:40.000Z",
    signature_date="March 4, 2024",
    state=WITHHELD,
)

# The tweet the wire story quotes as flattened text (text + signature line, no status link): its ID is only
# reachable through pic.twitter.com/Zx81QmPa0c -> t.co/Zx81QmPa0c -> twitter.com/.../photo/1.
TWEET_FLAT = Tweet(
    id="1764653344456642016",
    user=DESK,
    text=(
        "Water levels are rising fast near the old bridge, #Riverton residents told to move to "
        "higher ground https://t.co/Zx81QmPa0c"
    ),
    created_at="2024-03-04T14:05:17.000Z",
    signature_date="March 4, 2024",
    photos=(Photo("GH2aZ8LXoAA0nqT", "1764653290123456512", 1080, 1350, 544, 680),),
    media_tco="Zx81QmPa0c",
    favorite_count=96,
)

TWEETS: dict[str, Tweet] = {
    t.id: t for t in (TWEET_PHOTO, TWEET_VIDEO, TWEET_DELETED, TWEET_PROTECTED, TWEET_WITHHELD, TWEET_FLAT)
}

# Syndication tokens, computed once in V8 (node) with
#   ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\.)/g, '')
# The first two are the test vectors docs/platforms.md gives for the token (no tweets behind them here).
TOKENS: dict[str, str] = {
    "20": "6dq1a2xwd93",
    "1629307668568633344": "3y6mctgwzxo",
    "1764718078373491923": "4awuree4",
    "1764919062983508363": "4ann5wpv6a",
    "1764377001294643971": "49yyc5ogbqs",
    "1764985187184067035": "4av4e98nn",
    "1764580460548813107": "49zlcjjnfq9",
    "1764653344456642016": "49ztlafxfwq",
}

# --- short links --------------------------------------------------------------------------------


def _short_links() -> dict[str, str]:
    links: dict[str, str] = {}
    for t in TWEETS.values():
        if t.media_tco:
            links[t.media_tco] = f"{t.status_url}/{t.media_kind}/1"
        for code, expanded in t.urls:
            links[code] = expanded
    return links


# t.co/CODE -> target. pic.twitter.com/CODE answers 301 to https://t.co/CODE (two hops).
SHORT_LINKS: dict[str, str] = _short_links()

# --- YouTube ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YouTubeVideo:
    """A YouTube video behind an embed."""

    id: str
    title: str
    author_name: str
    author_handle: str


YOUTUBE = YouTubeVideo("kX3f9TqLm2A", "Riverton flood: Cole River bursts its banks (aerial)", "Riverton Weather Watch", "@rivertonweather")
YOUTUBE_VIDEOS = {YOUTUBE.id: YOUTUBE}

# --- articles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    """One page of news.example; `blocks` is the body in order: ("p", text) paragraphs,
    ("tweet", ID) publish.twitter.com blockquotes (`("xtweet", ID)`: the newer x.com snippet),
    ("youtube", ID) iframes, ("pre", text) preformatted plain-text lines."""

    path: str
    title: str
    published: str  # ISO 8601
    author: str
    summary: str
    blocks: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def url(self) -> str:
        return f"https://news.example{self.path}"

    @property
    def tweet_ids(self) -> tuple[str, ...]:
        return tuple(v for k, v in self.blocks if k in ("tweet", "xtweet"))


ARTICLE_FLOOD = Article(
    path="/2024/riverton-flood.html",
    title="Riverton braces as the Cole River breaks its banks",
    published="2024-03-05T09:30:00+00:00",
    author="Priya Natarajan",
    summary="Residents near Mill Street and Ashford Road were told to leave as water rose overnight.",
    blocks=(
        ("p", "Emergency crews worked through the night in Riverton as the Cole River rose above 5 metres."),
        ("tweet", TWEET_PHOTO.id),
        ("p", "By morning, drone pictures showed water pouring over the levee near Ashford Road."),
        ("tweet", TWEET_VIDEO.id),
        ("p", "Only two days earlier a councillor had insisted the levee was safe, in a post since deleted."),
        ("tweet", TWEET_DELETED.id),
        ("youtube", YOUTUBE.id),
        ("p", "The council has opened the sports hall on Hill Road as a shelter."),
    ),
)

ARTICLE_PROTECTED = Article(
    path="/2024/elm-row-residents.html",
    title="Elm Row residents count the cost",
    published="2024-03-06T08:00:00+00:00",
    author="Tomás Ferreira",
    summary="On Elm Row, neighbours pulled together as the water came in.",
    blocks=(
        ("p", "The water reached Elm Row shortly after noon on Tuesday."),
        ("tweet", TWEET_PROTECTED.id),
        ("p", "The account that posted the picture has since been made private."),
    ),
)

ARTICLE_WITHHELD = Article(
    path="/2024/levee-rumours.html",
    title="Fact check: no, the dam was not opened to save a golf course",
    published="2024-03-06T12:15:00+00:00",
    author="Jonas Weber",
    summary="A viral claim about the upstream dam does not hold up.",
    blocks=(
        ("p", "A claim that spread quickly on Monday said the dam upstream had been opened deliberately."),
        ("tweet", TWEET_WITHHELD.id),
        ("p", "The post is no longer visible in some countries. The water authority denied the claim."),
    ),
)

# A wire story whose embed was flattened to text by a syndication feed: the tweet's text, then a
# signature line "— Name (@handle) date", and no status link.
FLAT_TEXT = (
    "Water levels are rising fast near the old bridge, #Riverton residents told to move to "
    "higher ground pic.twitter.com/Zx81QmPa0c\n"
    "— Riverton News Desk (@RivertonDesk) March 4, 2024"
)

ARTICLE_WIRE = Article(
    path="/2024/wire-flood-update.html",
    title="Flood update: evacuation advice extended to the old bridge",
    published="2024-03-04T15:10:00+00:00",
    author="Wire staff",
    summary="Residents near the old bridge were advised to move to higher ground.",
    blocks=(
        ("p", "RIVERTON (Wire) — Authorities extended evacuation advice on Monday afternoon."),
        ("pre", FLAT_TEXT),
        ("p", "More rain is forecast for Tuesday."),
    ),
)

ARTICLE_REVIEW = Article(
    path="/2024/flood-week-in-review.html",
    title="The Riverton flood week in review",
    published="2024-03-09T10:00:00+00:00",
    author="Priya Natarajan",
    summary="A look back at the posts that defined the week.",
    blocks=(
        ("p", "Two posts came to define the week."),
        ("xtweet", TWEET_PHOTO.id),  # also cited by ARTICLE_FLOOD: must be captured once
        ("p", "And the reassurance that aged badly:"),
        ("tweet", TWEET_DELETED.id),  # also cited by ARTICLE_FLOOD
    ),
)

ARTICLES: dict[str, Article] = {
    a.path: a for a in (ARTICLE_FLOOD, ARTICLE_PROTECTED, ARTICLE_WITHHELD, ARTICLE_WIRE, ARTICLE_REVIEW)
}

# The flood article again, with a script in its head that replaces, before the embeds render, the
# built-ins a capture would measure the page with (pages.FORGING_JS: element boxes, array membership,
# the page's size, the device scale, innerText; ?lies=box,text names some, all by default): served
# at this path only, in no listing or feed.
FORGING_PATH = "/2024/riverton-flood-forging.html"
FORGED_TEXT = "Nothing happened in Riverton."

# Plain-text version of the wire story, served as text/plain.
WIRE_TEXT_PATH = "/2024/wire-flood-update.txt"

NEWS_HOSTS = ("news.example", "www.news.example")
