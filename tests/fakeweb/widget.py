"""The JavaScript side of the fake Twitter embed: widgets.js and embed/Tweet.html.

Like the real ones, widgets.js swaps each blockquote for an iframe, and Tweet.html renders the
post client-side: it computes the syndication token in V8 and fetches tweet-result, so a
browser test proves the whole round trip (token included) works in real JavaScript.
"""

from __future__ import annotations

WIDGETS_JS = r"""/* fakeweb widgets.js: replaces publish.twitter.com blockquotes with embed iframes */
(function () {
  var twttr = window.twttr = window.twttr || {};
  if (twttr._fakeweb) return;  // the snippet's <script> repeats once per embed: run once
  twttr._fakeweb = true;
  var count = 0;
  function tweetId(bq) {
    // The LAST /status/ID link is the post (earlier ones are links in its text or a quoted tweet).
    var id = null, links = bq.querySelectorAll('a[href]');
    for (var i = 0; i < links.length; i++) {
      var m = /\/status(?:es)?\/(\d+)/.exec(links[i].getAttribute('href'));
      if (m) id = m[1];
    }
    return id;
  }
  function render() {
    var quotes = document.querySelectorAll('blockquote.twitter-tweet, blockquote.twitter-video');
    for (var i = 0; i < quotes.length; i++) {
      var bq = quotes[i], id = tweetId(bq);
      if (!id) continue;
      var n = count++;
      var lang = bq.getAttribute('data-lang') || 'en';
      var dnt = bq.getAttribute('data-dnt') === 'true' ? 'true' : 'false';
      var wrap = document.createElement('div');
      wrap.className = 'twitter-tweet twitter-tweet-rendered';
      wrap.setAttribute('style', 'display:flex;max-width:550px;width:100%;margin:10px 0');
      var f = document.createElement('iframe');
      f.id = 'twitter-widget-' + n;
      f.setAttribute('data-tweet-id', id);
      f.setAttribute('scrolling', 'no');
      f.setAttribute('frameborder', '0');
      f.setAttribute('allowfullscreen', 'true');
      f.title = 'X Post';
      f.setAttribute('style', 'position:static;visibility:visible;width:550px;height:220px;display:block;flex-grow:1;border:0');
      f.src = 'https://platform.twitter.com/embed/Tweet.html?dnt=' + dnt + '&embedId=twitter-widget-' + n +
        '&frame=false&hideCard=false&hideThread=false&id=' + id + '&lang=' + encodeURIComponent(lang) +
        '&theme=light&widgetsVersion=2615f7e52b7e0%3A1702314776716&width=550px';
      wrap.appendChild(f);
      bq.parentNode.replaceChild(wrap, bq);
    }
  }
  window.addEventListener('message', function (e) {
    if (e.origin !== 'https://platform.twitter.com') return;
    var d = e.data && e.data['twttr.embed'];
    if (!d || d.method !== 'twttr.private.resize') return;
    var f = document.getElementById(d.id);
    if (f) f.style.height = Math.ceil(d.params[0].height) + 'px';
  });
  twttr.widgets = { load: render };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
"""

TWEET_HTML = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>X Post</title>
<style>
body{margin:0;font-family:'Noto Sans','DejaVu Sans',sans-serif;color:#0f1419;background:#fff}
#app{border:1px solid #cfd9de;border-radius:12px;padding:12px 16px;max-width:516px}
.head{display:flex;align-items:center;gap:8px}.avatar{width:48px;height:48px;border-radius:50%}
.name{font-weight:bold;display:block}.handle{color:#536471}.text{font-size:17px;line-height:1.35;white-space:pre-wrap}
.media{max-width:100%;border-radius:12px;display:block}.video{position:relative}
.play{position:absolute;left:45%;top:40%;font-size:40px;color:#fff}time,.likes{color:#536471;font-size:14px}
.tombstone{background:#f7f9f9;border-radius:8px;padding:8px 12px}.tombstone .title{font-weight:bold}
a{color:#1d9bf0;text-decoration:none}
</style></head>
<body><div id="app" data-state="loading">Loading…</div>
<script>
(function () {
  var q = new URLSearchParams(location.search);
  var id = q.get('id') || '';
  var embedId = q.get('embedId') || '';
  var lang = q.get('lang') || 'en';
  // The token the real embed sends (the formula vercel/react-tweet uses; docs/platforms.md).
  var token = ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\.)/g, '');
  var app = document.getElementById('app');
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  var posted = null;
  function resize() {
    // The content's own height: documentElement.scrollHeight never reports less than the frame.
    var height = Math.ceil(app.getBoundingClientRect().bottom) + 2;
    if (height === posted) return;
    posted = height;
    parent.postMessage({'twttr.embed': {id: embedId, method: 'twttr.private.resize',
      params: [{height: height, width: 550}]}}, '*');
  }
  function done(state) {
    app.setAttribute('data-state', state);
    document.body.setAttribute('data-state', state);
    resize();
    // Told again whenever the content's size changes, as the real embed does: a frame can lay its
    // document out before the page has given it its width (an out-of-process iframe is 0 px wide
    // until the page's process sends its size), and a height measured then is no height it shows.
    new ResizeObserver(resize).observe(app);
  }
  function unavailable(reason) {
    app.textContent = '';
    var box = el('div', {'class': 'tombstone', 'data-testid': 'tombstone'});
    box.appendChild(el('p', {'class': 'title'}, 'This Post is unavailable.'));
    if (reason) box.appendChild(el('p', {'class': 'reason'}, reason));
    app.appendChild(box);
    done(reason ? 'tombstone' : 'unavailable');
  }
  function small(url) { return url.replace(/\.(jpg|png)$/, '') + '?format=jpg&name=small'; }
  function render(t) {
    app.textContent = '';
    var art = el('article', {'data-testid': 'tweet', 'data-tweet-id': t.id_str});
    var head = el('div', {'class': 'head'});
    head.appendChild(el('img', {'class': 'avatar', alt: '', src: t.user.profile_image_url_https}));
    var names = el('div', {'data-testid': 'User-Name'});
    names.appendChild(el('span', {'class': 'name'}, t.user.name));
    names.appendChild(el('span', {'class': 'handle'}, '@' + t.user.screen_name));
    head.appendChild(names);
    art.appendChild(head);
    var cps = Array.from(t.text);  // indices count code points, not UTF-16 units
    var range = t.display_text_range || [0, cps.length];
    var body = el('p', {'class': 'text', 'data-testid': 'tweetText', lang: t.lang || 'en'});
    var urls = ((t.entities || {}).urls || []).slice().sort(function (a, b) { return a.indices[0] - b.indices[0]; });
    var pos = range[0];
    urls.forEach(function (u) {
      if (u.indices[0] < pos || u.indices[1] > range[1]) return;
      body.appendChild(document.createTextNode(cps.slice(pos, u.indices[0]).join('')));
      body.appendChild(el('a', {href: u.expanded_url, target: '_blank'}, u.display_url));
      pos = u.indices[1];
    });
    body.appendChild(document.createTextNode(cps.slice(pos, range[1]).join('')));
    art.appendChild(body);
    var pending = 0;
    function loaded() { if (--pending <= 0) done('rendered'); }
    (t.mediaDetails || []).forEach(function (m) {
      var img = el('img', {'class': 'media', alt: m.type === 'photo' ? 'Image' : 'Embedded video',
                           src: m.type === 'photo' ? small(m.media_url_https) : m.media_url_https});
      pending++;
      img.onload = loaded; img.onerror = loaded;
      if (m.type === 'photo') { art.appendChild(img); return; }
      var v = el('div', {'class': 'video', 'data-testid': 'videoPlayer'});
      v.appendChild(img);
      v.appendChild(el('span', {'class': 'play'}, '\u25B6'));
      art.appendChild(v);
    });
    var when = new Date(t.created_at);
    var shown = when.toLocaleTimeString('en-US', {hour: 'numeric', minute: '2-digit', timeZone: 'UTC'}) + ' \u00B7 ' +
      when.toLocaleDateString('en-US', {month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC'});
    var link = el('a', {href: 'https://x.com/' + t.user.screen_name + '/status/' + t.id_str, target: '_blank'});
    link.appendChild(el('time', {datetime: t.created_at}, shown));
    art.appendChild(link);
    art.appendChild(el('div', {'class': 'likes'}, (t.favorite_count || 0) + ' likes'));
    app.appendChild(art);
    pending++;
    loaded();  // resolves at once when there is no media
  }
  fetch('https://cdn.syndication.twimg.com/tweet-result?id=' + encodeURIComponent(id) +
        '&lang=' + encodeURIComponent(lang) + '&token=' + token)
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (data && data.__typename === 'Tweet') render(data);
      else if (data && data.__typename === 'TweetTombstone')
        unavailable(data.tombstone && data.tombstone.text && data.tombstone.text.text);
      else unavailable(null);
    }, function () { unavailable(null); });
})();
</script></body></html>
"""
