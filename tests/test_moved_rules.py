"""`urls.moved_away`, rule by rule: where a held article's address redirected to, told from the
addresses alone. Each row names the rule of `urls.RULES` that decides it (the first that holds,
in the table's order) and the verdict: None for the article itself at its new address, or why the
page reached is not the article. Pure functions: no network."""

from __future__ import annotations

import pytest

from archiver.index.urls import ID_ALONE, OTHER_PAGE, RULES, WALL, WORDS_KEPT, deciding_rule, moved_away

HELD = "https://news.example/2024/03/10452/council-vote.html"
HOME = "the site's home page"
SITE = "another site"
NOT_FOUND = "a page not found"


def _on_news(rule: str, verdict: str | None, pairs: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str, str | None]]:
    """One rule's cases on the article's own site: each (held, reached) pair of paths, both on
    https://news.example, decided by `rule` with `verdict`."""
    return [(rule, "https://news.example" + held, "https://news.example" + reached, verdict) for held, reached in pairs]

# (rule, held, reached, verdict), given to the run as held.
CASES: list[tuple[str, str, str, str | None]] = [
    # One spelling of the article's address.
    ("same address", HELD, "http://news.example/2024/03/10452/council-vote.html", None),
    ("same address", HELD, "https://NEWS.example:443/2024/03/10452/council-vote.html", None),
    ("same address", HELD, HELD + "?utm_source=feed", None),
    ("same address", HELD, HELD + "/", None),
    # A wall on a host of its own (not the article's host).
    ("wall host", HELD, "https://consent.news.example/v2/collectConsent?sessionId=1", WALL),
    ("wall host", HELD, "https://login.courier.example/", WALL),
    ("wall host", HELD, "https://accounts.news.example/signin/v2", WALL),
    # A wall on the article's own page: a wall's parameter added to its address, or a wall's part
    # put after its path, that left out the article's (its path, ID or name kept).
    ("wall on its page", "https://news.example/article/8812345", "https://news.example/article/8812345?consent=1", WALL),
    ("wall on its page", "https://news.example/article/123", "https://news.example/article/123?consent=1", WALL),
    ("wall on its page", "https://news.example/article/8812345", "https://news.example/article/8812345/consent", WALL),
    ("wall on its page", "https://news.example/article/8812345", "https://news.example/article/8812345?login=1", WALL),
    ("wall on its page", "https://news.example/article/8812345", "https://news.example/article/8812345/subscribe-now", WALL),
    ("wall on its page", "https://news.example/article/123", "https://news.example/article/123/consent", WALL),
    ("wall on its page", HELD, "https://www.news.example/2024/03/10452/council-vote.html?gdpr_consent=1", WALL),
    ("wall on its page", HELD, "https://news.example/politics/council-votes-10452/subscribe.html", WALL),
    ("wall on its page", "https://news.example/2024/03/10/council-vote", "https://news.example/2024/03/10/council-vote/login",
     WALL),
    # ... not a parameter or a part its own address has, nor one that is no wall's.
    ("same address", "https://news.example/article/8812345?consent=1", "https://news.example/article/8812345?consent=1",
     None),
    ("same path", "https://news.example/article/8812345?consent=1", "https://news.example/article/8812345?consent=2", None),
    ("same path", "https://news.example/article/8812345", "https://news.example/article/8812345?page=2", None),
    ("same id", "https://news.example/login/8812345", "https://news.example/login/8812345/full", None),
    *[("same path", "https://news.example/article/8812345", f"https://news.example/article/8812345?{query}", None)
      for query in ("signup_source=newsletter", "auth_token=abc", "login_hint=x", "account_id=x", "subscription_status=none",
                    "subscribe=false", "subscribe=0", "register=no", "signup=", "auth=off", "subscribe=False")],
    # A subscription's, a registration's or a single sign-on's parameter by its whole name, unless
    # its value says no: a wall on the article's page.
    *[("wall on its page", "https://news.example/2024/05/03/river-flood", f"https://news.example/2024/05/03/river-flood?{query}",
       WALL) for query in ("subscribe=1", "register=1", "signup=1", "sign_up=true", "subscription=required", "auth=required",
                           "sso=1", "subscribe", "page=2&registration=yes")],
    # An article addressed by an ID in its query: its path kept with that ID is the article, with
    # another ID or none another page (the page of a script that serves every article).
    *_on_news("same path", None, (
        ("/article.php?id=8812345", "/article.php?id=8812345&page=2"),
        ("/news/story.aspx?storyid=8812345", "/news/story.aspx?page=1&storyID=8812345"),
        ("/news/story.aspx?storyid=8812345", "/News/Story.aspx?storyid=8812345"))),
    *_on_news("any other page", OTHER_PAGE, (
        ("/article.php?id=8812345", "/article.php?id=9999999"),
        ("/news/story.aspx?storyid=8812345", "/news/story.aspx?storyid=1"),
        ("/article.php?id=8812345", "/article.php"),
        ("/news/story.aspx?storyid=8812345", "/news/story.aspx?storyid=1&consent=1"),
        # ... whatever the length of its value, where the path names no article of its own (no ID,
        # no date, a name of one word or none): each parameter's value, a tracking one aside.
        ("/article.php?id=1234", "/article.php?id=5678"),
        ("/viewtopic.php?t=1234", "/viewtopic.php?t=5678"),
        ("/news.aspx?story=4321", "/news.aspx"),
        ("/news/item?id=42", "/news/item?id=43"),
        ("/forum/index.php?topic=42", "/forum/index.php"),
        ("/article.php?slug=river-flood", "/article.php?slug=budget-vote"))),
    *_on_news("same path", None, (
        ("/article.php?id=1234", "/article.php?id=1234&page=2"),
        ("/viewtopic.php?t=1234&utm_source=feed", "/viewtopic.php?start=15&t=1234"),
        ("/forum/index.php?topic=42", "/forum/index.php?topic=42&amp=1"),
        # (a parameter not naming the article dropped, those naming it kept: a feed's or a share's)
        ("/news.php?id=123456&from=rss", "/news.php?id=123456"),
        ("/article.php?id=1234&ref=twitter", "/article.php?id=1234"),
        ("/news/articleView.html?idxno=123456&replyAll=&reply_sc_order_by=C", "/news/articleView.html?idxno=123456"))),
    # (... but none changed, and a query naming no article by a number or an ID kept whole)
    *_on_news("any other page", OTHER_PAGE, (
        ("/article.php?id=1234&ref=twitter", "/article.php?id=1234&ref=facebook"),
        ("/news/item?slug=river-flood", "/news/item"),
        ("/viewtopic.php?f=2&t=123456", "/viewtopic.php?t=123456"))),
    # ... where the path names the article (a date, a name of two words or more, an ID), its query
    # does not matter: a share's or a campaign's value, however long, is not the article's.
    *_on_news("same path", None, (
        ("/sites/jdoe/2024/05/03/river-flood-kills-three/?sh=5c1a2b3d4e5f", "/sites/jdoe/2024/05/03/river-flood-kills-three/"),
        ("/2024/05/03/us/river-flood.html?unlocked_article_code=1.a2b3c4d5e6f7", "/2024/05/03/us/river-flood.html"),
        ("/2024/05/03/river-flood.html?cid=12345678", "/2024/05/03/river-flood.html"),
        ("/news/river-flood-kills?share=12345678", "/news/river-flood-kills"),
        ("/news/river-flood?v=1714745600", "/news/river-flood"),
        ("/article/8812345?ref=12345678", "/article/8812345"))),
    ("wall on its page", "https://news.example/article.php?id=8812345", "https://news.example/article.php?id=8812345&consent=1",
     WALL),
    # ... nor a wall's parameter added to a folder above the article (its section's listing).
    ("folder above", "https://news.example/section/100001/river-flood", "https://news.example/section/100001/?consent=1",
     OTHER_PAGE),
    # A front page: another site's, or the article's site's (a mobile host's front page too).
    ("another site's front page", HELD, "https://courier.example/", SITE),
    ("front page", HELD, "https://news.example/", HOME),
    ("front page", HELD, "https://www.news.example/index.html", HOME),
    ("front page", "https://m.news.example/2024/vote", "https://www.news.example/", HOME),
    # A folder the article's address is in: its section's listing, whatever ID its name holds,
    # or the day's listing under a date written as one number.
    *[("folder above", "https://news.example/section/100001/river-flood", f"https://news.example/section/{page}", OTHER_PAGE)
      for page in ("100001/index.html", "100001/amp", "100001.html", "100001/amp/")],
    ("folder above", "https://news.example/section/100001/story-a", "https://news.example/section/100001/", OTHER_PAGE),
    ("folder above", "https://news.example/section/100001/story-a", "https://www.news.example/section/100001", OTHER_PAGE),
    ("folder above", "https://news.example/articles/20240310/k00/00m/040/123000c", "https://news.example/articles/20240310/",
     OTHER_PAGE),
    # The article's own path: on its mobile or AMP host, or on the new domain the site moved to.
    ("same path", "https://amp.news.example/2024/03/vote", "https://www.news.example/2024/03/vote", None),
    ("same path", "https://m.news.example/2024/council-vote", "https://www.news.example/2024/council-vote", None),
    ("same path", "https://mobile.news.example/2024/council-vote", "https://news.example/2024/council-vote", None),
    ("same path", "https://news.example/2024/03/council-vote", "https://newsexample.com/2024/03/council-vote", None),
    ("same path", "https://news.co.uk/2024/03/council-vote", "https://www.news.com/2024/03/council-vote/", None),
    ("same path", HELD, "https://courier.example/2024/03/10452/council-vote.html", None),
    # A path keeping the article's ID (five digits or more), under a new name or folder; the folder
    # an AMP copy or an index page of the article is in.
    ("same id", HELD, "https://news.example/amp/2024/03/10452/council-vote.html", None),
    ("same id", HELD, "https://amp.news.example/2024/03/10452/council-vote.amp.html", None),
    ("same id", HELD, "https://m.news.example/mobile/2024/03/10452/council-vote.html", None),
    ("same id", HELD, "https://news.example/politics/2024/10452-council-votes-to-rebuild", None),
    ("same id", HELD, "https://news.example/politics/council-votes-to-rebuild-10452", None),
    ("same id", "https://news.example/2024/story-12345/amp", "https://news.example/2024/story-12345/", None),
    ("same id", "https://news.example/2024/story-12345/index.html", "https://news.example/2024/story-12345/", None),
    # ... an ID in the folder just before its name, no listing's folder just before it: the
    # article's, its headline renamed (an ID with a word put before it too), under other folders
    # too (a section added: NPR's and SCMP's addresses).
    *_on_news("same id", None, (
        ("/news/article-13371234/river-flood-kills-three.html", "/news/article-13371234/council-blamed-river-flood.html"),
        ("/news/world/1891234/river-flood", "/news/world/1891234/council-blamed-flood"),
        ("/national/300123456/river-flood", "/national/300123456/council-blamed-flood"),
        ("/news/local/12345/river-flood", "/news/local/12345/flood-kills-three"),
        ("/questions/12345678/how-to-x", "/questions/12345678/how-do-i-x"),
        ("/news/local/100001/river-flood", "/news/local/100001/budget-vote"),
        ("/2024/03/10452/council-vote.html", "/2024/03/10452/budget.html"),
        ("/news/12345/river-flood", "/news/local/12345/budget-vote"),
        ("/news/8812345/river-flood", "/news/world/8812345/river-flood-kills-three"),
        ("/news/china/article/3261234/river-flood", "/news/hong-kong/politics/article/3261234/river-flood-kills-three"),
        ("/sections/health-shots/2024/05/03/1234567890/river-flood",
         "/sections/health-shots/2024/05/03/1234567890/council-blamed-for-flood"),
        ("/2024/05/03/1234567890/river-flood", "/sections/health-shots/2024/05/03/1234567890/river-flood-kills-three"))),
    # ... but not an ID in a listing's folder (a section's or a topic's, as likely as the
    # article's), nor one farther from the name.
    *_on_news("any other page", OTHER_PAGE, (
        ("/section/100001/river-flood", "/section/100001/another-story"),
        ("/topics/100001/river-flood", "/topics/100001/another-story"),
        ("/news/100001/local/river-flood", "/news/100001/local/budget-vote"),
        ("/news/100001/local/river-flood", "/article/100001"))),
    ("a listing or media page", "https://news.example/section/100001/river-flood",
     "https://news.example/topics/100001/river-flood-coverage", OTHER_PAGE),
    # ... in the article's own name, alone or joined with it, on either side, it is the article's.
    *_on_news("same id", None, (
        ("/article/8812345", "/news/8812345/river-flood"),
        ("/8812345-river-flood", "/news/2024/river-flood-kills-three-8812345"),
        ("/2024/05/03/8812345.html", "/article/8812345"),
        ("/river-flood-8812345", "/stories/8812345/flood-update"),
        ("/news/8812345/river-flood", "/article/8812345"))),
    # A path keeping the article's own name, `amp` or an ID put to it or taken from it.
    ("same name", "https://news.example/2024/03/vote.amp.html", "https://news.example/2024/03/vote.html", None),
    ("same name", "https://news.example/2024/03/vote-amp", "https://news.example/2024/03/vote", None),
    ("same name", "https://news.example/2024/03/10/council-vote.html", "https://news.example/news/council-vote-10452", None),
    ("same name", "https://news.example/2024/03/10/council-vote.html", "https://news.example/10452-council-vote", None),
    ("same name", HELD, "https://www.news.example/archive/council-vote/", None),
    ("same name", HELD, "https://m.news.example/politics/council-vote.amp.html", None),
    ("same name", "https://register.example/2024/03/10/council-vote.html", "https://register.example/news/council-vote-10452",
     None),
    # ... a date written as one number put to it too (its day, or none known), but not a name kept
    # under another date: two articles of one name (below, "any other page").
    ("same name", "https://news.example/river-flood", "https://news.example/river-flood-20240503", None),
    ("same name", "https://news.example/2024/05/03/river-flood", "https://news.example/river-flood-20240503", None),
    ("same name", "https://news.example/2024/05/river-flood", "https://news.example/news/river-flood-20240503", None),
    ("same name", "https://news.example/river-flood-20240503", "https://news.example/2024/05/03/river-flood", None),
    ("same name", "https://news.example/2024/05/03/river-flood", "https://news.example/archive/2024/05/03/river-flood.html",
     None),
    # On its site, a page in a listing's or a media page's folder its address is not in: another
    # page, whatever ID or words its name holds.
    *[("a listing or media page", "https://news.example/2024/05/03/river-flood", f"https://news.example{path}", OTHER_PAGE)
      for path in ("/topics/100001/river-flood-coverage", "/tag/100001/river-flood-news", "/section/100001/river-flood-photos",
                   "/video/99999999/river-flood-aerial-footage", "/gallery/8812345-river-flood-in-pictures",
                   "/section/100001/", "/search/8812345", "/tag/100001",
                   # a listing named as the article is (its tag's, its topic's): not by its name the article
                   "/tag/river-flood", "/topics/river-flood",
                   # hubs, live blogs, series, keywords, subjects, people, pictures, watch pages, podcasts
                   *(f"/{folder}/river-flood" for folder in (
                       "hub", "live-updates", "liveblog", "series", "keyword", "subject", "people", "pictures",
                       "in-pictures", "watch", "podcasts", "podcast", "keywords", "subjects", "live-blog")))],
    ("a listing or media page", "https://news.example/river-flood", "https://news.example/section/100001/river-flood-kills-three",
     OTHER_PAGE),
    # ... a page named by the ID of a listing's folder of the article's address, though it holds
    # that ID: the listing's, not the article's.
    *[("a listing or media page", "https://news.example/section/100001/river-flood", f"https://news.example{path}", OTHER_PAGE)
      for path in ("/topics/100001", "/tag/100001")],
    # ... its own name too, where the article is named as a listing is: only a folder of its own
    # address is none of another page's (`/video/2024/…` -> `/video/…`).
    *[("a listing or media page", f"https://news.example/2024/05/03/{name}", f"https://news.example/{name}", OTHER_PAGE)
      for name in ("live", "photos", "search", "video")],
    ("same name", "https://news.example/video/2024/05/03/river-flood", "https://news.example/video/river-flood", None),
    # On its site, a name keeping each of its name's words with words added: in its folder dated to
    # the month or the day, or under an ID its address had none of, on no other day. The article
    # renamed, or another page on its story (a live blog, a follow-up, its photos): the addresses
    # cannot tell, and it is not read as the article.
    ("its words kept", "https://news.example/2024/05/03/river-flood",
     "https://news.example/2024/05/03/river-flood-kills-three", WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/03/river-flood.html",
     "https://www.news.example/2024/05/03/three-dead-in-river-flood.html", WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/river-flood", "https://news.example/2024/05/river-flood-2-dead",
     WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/03/river-flood",
     "https://news.example/article/8812345-river-flood-kills-three", WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/03/river-flood",
     "https://news.example/news/2024/05/03/8812345/river-flood-kills-three", WORDS_KEPT),
    *[("its words kept", "https://news.example/2024/05/03/river-flood", f"https://news.example/2024/05/03/river-flood{tail}",
       WORDS_KEPT) for tail in ("-live", "-live-updates", "-update-2", "-what-we-know", "-photos", "-video", "-opinion",
                                "-day-2")],
    ("its words kept", "https://news.example/2024/05/03/river-flood", "https://news.example/2024/05/03/flood-river-opinion",
     WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/river-flood", "https://news.example/2024/05/river-flood-aftermath",
     WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/03/river-flood-2", "https://news.example/2024/05/03/river-flood-part-2",
     WORDS_KEPT),
    ("its words kept", "https://news.example/2024/05/03/the-budget", "https://news.example/2024/05/03/the-budget-explained",
     WORDS_KEPT),
    # ... under a new ID in a folder of no listing, its address dated or not.
    ("its words kept", "https://news.example/news/river-flood", "https://news.example/news/100001/river-flood-kills-three",
     WORDS_KEPT),
    ("its words kept", "https://news.example/2024/river-flood", "https://news.example/2024/100001/river-flood-kills-three",
     WORDS_KEPT),
    # ... in its folder that holds an ID (a section's, or the article's: the addresses cannot tell).
    ("its words kept", "https://news.example/section/100001/river-flood",
     "https://news.example/section/100001/river-flood-coverage", WORDS_KEPT),
    # ... its folder told by its date (`/2024/5/3/` is `/2024/05/03/`), an `index.html` after the name left out.
    ("its words kept", "https://news.example/2024/05/03/river-flood/index.html",
     "https://news.example/2024/05/03/river-flood-kills-three/index.html", WORDS_KEPT),
    ("its words kept", "https://news.example/2024/5/3/river-flood", "https://news.example/2024/05/03/river-flood-kills-three",
     WORDS_KEPT),
    # A wall's path on the article's site: a part that is a wall's word alone or with one other word.
    ("wall path", HELD, "https://news.example/consent?return=/2024/03/10/council-vote.html", WALL),
    ("wall path", HELD, "https://news.example/gdpr/notice", WALL),
    ("wall path", HELD, "https://news.example/account/login?next=/2024/03/10452/council-vote.html", WALL),
    ("wall path", HELD, "https://news.example/account/sign-in", WALL),
    ("wall path", HELD, "https://news.example/subscribe-now", WALL),
    ("wall path", HELD, "https://news.example/my-account/", WALL),
    ("wall path", HELD, "https://news.example/auth/realms/news/protocol/openid-connect/auth", WALL),
    # Another site's page that keeps neither path, ID nor name; its name holding a wall's word too.
    ("another site", HELD, "https://courier.example/2024/03/10999/budget.html", SITE),
    ("another site", HELD, "https://courier.example/2024/03/register-to-vote-by-friday.html", SITE),
    # A "not found" page answering 200.
    ("not found", HELD, "https://news.example/404.html", NOT_FOUND),
    ("not found", HELD, "https://news.example/errors/not-found", NOT_FOUND),
    # On its site, a page named by an ID alone, where the article's address held none and named it
    # by date and name: the article moved there, or another page; the addresses cannot tell.
    ("named by an ID alone", "https://news.example/2024/05/03/river-flood", "https://news.example/article/8812345", ID_ALONE),
    ("named by an ID alone", "https://news.example/2024/05/03/river-flood.html", "https://www.news.example/p/8812345/",
     ID_ALONE),
    ("named by an ID alone", "https://news.example/2024/05/03/river-flood", "https://news.example/2024/05/03/8812345.html",
     ID_ALONE),
    # ... but with the article's ID, or its name's words, it is the article; with another ID than
    # the article's, under another date, or on another site, another page.
    ("same id", "https://news.example/2024/05/03/8812345-river-flood", "https://news.example/article/8812345", None),
    ("same name", "https://news.example/2024/05/03/river-flood", "https://news.example/article/8812345/river-flood", None),
    ("any other page", "https://news.example/2024/05/03/10452-river-flood", "https://news.example/article/8812345", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/2023/01/01/8812345", OTHER_PAGE),
    ("another site", "https://news.example/2024/05/03/river-flood", "https://courier.example/article/8812345", SITE),
    # ... nor an article's address with no date or no name, or with an ID in its query, nor a page
    # whose last part is not its ID (the ID-named page's AMP copy).
    ("any other page", "https://news.example/news/river-flood", "https://news.example/article/8812345", OTHER_PAGE),
    ("any other page", "https://news.example/story.php?id=8812345", "https://news.example/article/8812345", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/story.php?id=8812345", "https://news.example/article/8812345",
     OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/8812345/amp", OTHER_PAGE),
    # Any other page of its site: another article (dates are no ID, nor a date written as one
    # number; a short number added to the name is another article of that name), an article
    # whose name holds a wall's word among others, one in a section named as a wall is.
    ("any other page", HELD, "https://news.example/2024/03/10999/budget.html", OTHER_PAGE),
    ("any other page", HELD, "https://news.example/2024/03/10453/bridge-reopens.html", OTHER_PAGE),
    ("any other page", "https://news.example/articles/20240310/k00/00m/040/123000c",
     "https://news.example/articles/20240310/k00/00m/040/456000c", OTHER_PAGE),
    ("any other page", "https://news.example/2024/202403/council-vote.html", "https://news.example/2024/202403/budget.html",
     OTHER_PAGE),
    ("any other page", "https://news.example/2024/03/council-vote", "https://news.example/2024/03/council-vote-2", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/x", "https://news.example/x-20230101", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/river-flood-20230503", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/2023/05/03/river-flood",
     OTHER_PAGE),
    ("any other page", "https://news.example/river-flood-2024-05-03", "https://news.example/river-flood-20230503", OTHER_PAGE),
    # ... wherever each address writes its dates: a page dated on a day the article's address is
    # not dated on is another page, though dated on its day too.
    *_on_news("any other page", OTHER_PAGE, (
        ("/2024/05/03/river-flood", "/2024/05/03/river-flood-20240504"),
        ("/news/20240503/river-flood", "/news/20240503/river-flood-20240504"),
        ("/2024/05/03/river-flood", "/2024/05/03/river-flood-update-20240504"),
        ("/2024/05/03/river-flood-20240502", "/2024/05/04/river-flood-20240502"),
        # (the day after's follow-up sent to the day's article: two articles, the lesser error to call gone)
        ("/2024/05/03/river-flood-20240504", "/2024/05/03/river-flood"))),
    # ... but an article's address dated on two days (a date in its name) is dated on each: its
    # copies, under any folder, are the article.
    *_on_news("same name", None, (
        ("/2024/05/03/results-20240331-quarter", "/2024/05/03/results-20240331-quarter/amp"),
        ("/2024/05/03/minutes-of-2024-04-30-meeting", "/2024/05/03/minutes-of-2024-04-30-meeting.html"),
        ("/2024/05/03/river-flood-20240502", "/news/2024/05/03/river-flood-20240502"))),
    # ... a month written by its name too (the Guardian's `/2024/may/03/`), in any case.
    *_on_news("any other page", OTHER_PAGE, (
        ("/world/2024/may/03/river-flood", "/world/2024/may/04/river-flood"),
        ("/world/2024/May/03/river-flood", "/world/2024/jun/03/river-flood"),
        ("/world/2024/sep/03/river-flood", "/world/2024/10/03/river-flood"),
        ("/world/2024/may/03/river-flood", "/river-flood-20240504"),
        ("/2024/september/river-flood", "/2024/october/river-flood"),
        ("/2024/05/03/river-flood", "/2024/05/03/river-flood-2024-may-04-update"))),
    *_on_news("same name", None, (
        ("/world/2024/may/03/river-flood", "/world/2024/05/03/river-flood"),
        ("/world/2024/may/03/river-flood", "/news/river-flood-20240503"))),
    ("its words kept", "https://news.example/world/2024/may/03/river-flood",
     "https://news.example/world/2024/05/03/river-flood-kills-three", WORDS_KEPT),
    ("same name", "https://news.example/2024/05/03/river-flood", "https://news.example/2024/05/03/river-flood-20240503", None),
    ("same name", "https://news.example/2024/05/river-flood", "https://news.example/2024/05/river-flood-20240503", None),
    ("another site", "https://news.example/2024/05/03/x", "https://courier.example/x-20230101", SITE),
    # ... but not: a number alone added, a word of its name left out, a name shortened, another
    # folder or one dated to the year alone, an article named with an ID renamed under another ID,
    # a new ID under another date, a name of one word.
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/2024/05/03/river-flood-2", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/2024/05/03/river-floods-again",
     OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood-kills-three",
     "https://news.example/2024/05/03/river-flood", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood", "https://news.example/2024/05/04/river-flood-kills-three",
     OTHER_PAGE),
    ("any other page", "https://news.example/2024/river-flood", "https://news.example/2024/river-flood-kills-three", OTHER_PAGE),
    ("any other page", "https://news.example/news/river-flood", "https://news.example/news/river-flood-kills-three", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/10452-river-flood",
     "https://news.example/article/8812345-river-flood-kills-three", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/river-flood",
     "https://news.example/2023/05/03/8812345-river-flood-kills-three", OTHER_PAGE),
    ("any other page", "https://news.example/2024/05/03/flood", "https://news.example/2024/05/03/flood-warning-lifted",
     OTHER_PAGE),
    ("another site", "https://news.example/2024/05/03/river-flood", "https://courier.example/2024/05/03/river-flood-kills-three",
     SITE),
    ("any other page", HELD, "https://news.example/2024/accounts-of-the-flood.html", OTHER_PAGE),
    ("any other page", HELD, "https://news.example/2024/03/consent-decree-is-lifted", OTHER_PAGE),
    ("any other page", HELD, "https://news.example/register/2024/03/11/levee.html", OTHER_PAGE),
    ("any other page", "https://news.example/register/2024/03/10/council-vote.html", "https://news.example/register/budget",
     OTHER_PAGE),
    ("any other page", "https://register.example/2024/03/10/council-vote.html", "https://register.example/2024/03/11/levee.html",
     OTHER_PAGE),
    ("any other page", HELD, "https://[news.example/x", OTHER_PAGE),  # an address that cannot be parsed
]


@pytest.mark.parametrize(("rule", "held", "reached", "verdict"), CASES)
def test_each_rule_decides_its_cases(rule: str, held: str, reached: str, verdict: str | None) -> None:
    decided = deciding_rule(held, held, reached)
    assert (decided.name, decided.verdict) == (rule, verdict), (held, reached)
    assert moved_away(held, held, reached) == verdict


# Given to the run under an old address that led to the article (held since at its destination).
OLD = "https://news.example/story.php?id=88"


@pytest.mark.parametrize(("rule", "reached", "verdict"), [
    ("same address", HELD, None),
    ("not found", "https://news.example/errors/not-found", NOT_FOUND),
    ("folder above", "https://news.example/2024/03/", OTHER_PAGE),
])
def test_an_article_given_under_an_old_address(rule: str, reached: str, verdict: str | None) -> None:
    decided = deciding_rule(HELD, OLD, reached)
    assert (decided.name, moved_away(HELD, OLD, reached)) == (rule, verdict)


@pytest.mark.parametrize(("rule", "held", "given", "reached", "verdict"), [
    # A folder above the address given is its listing, though its name holds the held article's ID
    # and the held address is in no such folder (before the rules were one table, the article).
    ("folder above", "https://news.example/article/100001-river-flood", "https://news.example/section/100001/river-flood",
     "https://news.example/section/100001/", OTHER_PAGE),
])
def test_an_article_given_under_another_address(rule: str, held: str, given: str, reached: str, verdict: str | None) -> None:
    decided = deciding_rule(held, given, reached)
    assert (decided.name, decided.verdict) == (rule, verdict), (held, given, reached)
    assert moved_away(held, given, reached) == verdict


def test_every_rule_has_its_cases_and_the_last_holds_for_any_page() -> None:
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert [rule.name for rule in RULES if rule.name not in {case[0] for case in CASES}] == []
    assert (RULES[-1].name, RULES[-1].verdict) == ("any other page", OTHER_PAGE)
