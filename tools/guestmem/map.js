// SPDX-License-Identifier: MIT
/*
 * map.js - the script of the page `guestmem map --html` writes.  It is
 * compiled into the guestmem binary (scripts/bin2c.py) and cmd-map.c puts
 * it after the page's data.
 *
 * The data (<script type="application/json" id="gm-data">) holds each
 * column's whole flat view, gaps included: per box its first and last
 * address, colour class, name, kind, offset, alias chain, hover details and,
 * for the first boxes, the text `guestmem explain` prints for its first
 * address.  The SVG in the page is what cmd-map.c drew; this script:
 *   - shows a box's details and explanation in the panel when it is
 *     pointed at or focused, and keeps them there when it is clicked
 *     (or Enter is pressed on it);
 *   - zooms a column to a window of addresses: the form (first and last
 *     address, hex), a drag along a bar, the wheel over a bar (in around the
 *     pointer, out around the window), a double click on a box (its
 *     range); Reset draws
 *     every column whole.  A zoomed column is drawn again with the geometry
 *     cmd-map.c uses (the page's "geom"), each box cut to the window.
 * Every string from the data goes into the page as textContent or as an
 * attribute value, never as markup.  Addresses are BigInts (2^64 does not
 * fit a double).
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('gm-data').textContent);
  var G = data.geom, NS = 'http://www.w3.org/2000/svg';
  var svg = document.querySelector('svg.gm-map');
  var detail = document.getElementById('detail');
  var expl = document.getElementById('explain');
  var form = document.getElementById('zoom');
  var pick = document.getElementById('z-as');
  var loIn = document.getElementById('z-lo');
  var hiIn = document.getElementById('z-hi');
  var msg = document.getElementById('z-msg');
  var cols = data.cols;
  var pinned = null; /* [column, box index] */
  var drag = null, dragged = false, lastWheel = 0;

  function big(h) { return BigInt('0x' + h); }
  function hex(v, digits) { return v.toString(16).padStart(digits, '0'); }
  function bits(a, b) {
    var d = b - a;
    return d === 0n ? 0 : d.toString(2).length;
  }
  /* cmd-map.c's box_height(). */
  function height(gap, a, b) {
    var over = Math.max(bits(a, b) - 12, 0);
    if (gap) {
      return Math.min(G.gapMin + over * G.gapPer, G.gapMax);
    }
    return G.rangeMin + over * G.rangePer;
  }
  function cut(s, n) {
    var c = Array.from(s);
    return c.length > n ? c.slice(0, n).join('') + '\u2026' : s;
  }
  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    return e;
  }
  function span(parent, cls, text) {
    var t = el('tspan', { class: cls });
    t.textContent = text;
    parent.appendChild(t);
  }

  /* One box: range @i of column @c, drawn for @a..@b at @y. */
  function box(c, i, a, b, y, h) {
    var s = c.segs[i], gap = s.c === 'gap';
    var g = el('g', {
      class: 'seg ' + s.c + (s.ro ? ' ro' : ''), tabindex: '0',
      'data-i': String(i), 'data-start': '0x' + a.toString(16),
      'data-last': '0x' + b.toString(16)
    });
    if (!gap) {
      g.setAttribute('data-name', s.n);
      g.setAttribute('data-kind', s.k);
      if (s.v !== undefined) {
        g.setAttribute('data-via', s.v);
      }
    }
    var title = el('title');
    title.textContent = s.d;
    g.appendChild(title);
    var r = { x: c.bx, y: y, width: G.barW, height: h };
    r.class = 'box';
    g.appendChild(el('rect', r));
    if (s.ro) {
      r.class = 'hatch';
      g.appendChild(el('rect', r));
    }
    var ty = y + h / 2 + 4;
    var addr = el('text', { class: 'addr', x: c.ax, y: ty });
    addr.textContent = hex(a, c.digits) + '-' + hex(b, c.digits);
    g.appendChild(addr);
    var lbl = el('text', { class: 'lbl', x: c.lx, y: ty });
    if (gap) {
      span(lbl, 'k', 'unassigned');
    } else {
      span(lbl, 'n', cut(s.n, G.nameCut));
      if (s.o !== '0') {
        lbl.appendChild(document.createTextNode(' @0x' + s.o));
      }
      lbl.appendChild(document.createTextNode(' '));
      span(lbl, 'k', s.k + (s.ro && s.k !== 'rom' ? ' read-only' : ''));
      if (s.v !== undefined) {
        lbl.appendChild(document.createTextNode(' '));
        span(lbl, 'v', 'via ' + cut(s.v, G.viaCut));
      }
    }
    g.appendChild(lbl);
    if (gap && bits(a, b) > G.breakFrom) {
      for (var k = -1; k <= 1; k += 2) {
        var d = 'M' + (c.bx - 4) + ' ' + (y + h / 2 + k * 3);
        for (var j = 0; j < 10; j++) {
          d += ' l' + (G.barW + 8) / 10 + ' ' + (j % 2 ? 4 : -4);
        }
        g.appendChild(el('path', { class: 'brk', d: d }));
      }
    }
    return g;
  }

  function resize() {
    var h = 0;
    cols.forEach(function (c) { h = Math.max(h, c.height); });
    h = Math.ceil(h + G.top + 24);
    var w = svg.viewBox.baseVal.width;
    svg.setAttribute('height', h);
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.querySelector('rect.bg').setAttribute('height', h);
  }

  function markPin() {
    svg.querySelectorAll('g.seg.pin').forEach(function (g) {
      g.classList.remove('pin');
    });
    if (pinned) {
      var g = cols[pinned[0]].g.querySelector(
        'g.seg[data-i="' + pinned[1] + '"]');
      if (g) {
        g.classList.add('pin');
      }
    }
  }

  /* Column @k drawn again for the addresses @lo..@hi. */
  function draw(k, lo, hi) {
    var c = cols[k], y = G.top;
    c.g.querySelectorAll('g.seg').forEach(function (g) { g.remove(); });
    c.lo = lo;
    c.hi = hi;
    c.boxes = [];
    for (var i = 0; i < c.segs.length; i++) {
      var s = c.segs[i];
      if (s.L < lo || s.S > hi) {
        continue;
      }
      var a = s.S > lo ? s.S : lo, b = s.L < hi ? s.L : hi;
      var h = height(s.c === 'gap', a, b);
      c.g.appendChild(box(c, i, a, b, y, h));
      c.boxes.push({ i: i, a: a, b: b, y: y, h: h });
      y += h;
    }
    c.height = y - G.top;
    c.g.querySelector('.win').textContent =
      lo === 0n && hi === c.LAST ? ''
        : ', ' + hex(lo, c.digits) + '-' + hex(hi, c.digits);
    resize();
    markPin();
  }

  function fill(k) {
    pick.value = String(k);
    loIn.value = '0x' + cols[k].lo.toString(16);
    hiIn.value = '0x' + cols[k].hi.toString(16);
  }

  function zoomTo(k, lo, hi) {
    var c = cols[k];
    lo = lo < 0n ? 0n : lo;
    hi = hi > c.LAST ? c.LAST : hi;
    draw(k, lo, hi);
    fill(k);
    msg.textContent = '';
  }

  /* The address at height @y of column @k, inside the box there (a box's
   * edge within 3 pixels snaps to its first or last address). */
  function addrAt(k, y) {
    var bs = cols[k].boxes;
    if (!bs.length) {
      return cols[k].lo;
    }
    if (y <= bs[0].y) {
      return bs[0].a;
    }
    for (var j = 0; j < bs.length; j++) {
      var x = bs[j];
      if (y < x.y + x.h) {
        if (y - x.y < 3) {
          return x.a;
        }
        if (x.y + x.h - y < 3) {
          return x.b;
        }
        var f = BigInt(Math.floor((y - x.y) / x.h * 1e6));
        return x.a + (x.b - x.a) * f / 1000000n;
      }
    }
    return bs[bs.length - 1].b;
  }

  function show(ref) {
    if (!ref) {
      detail.textContent = 'Point at a range for its details.';
      expl.textContent = '';
      return;
    }
    var c = cols[ref[0]], s = c.segs[ref[1]];
    detail.textContent = s.d;
    expl.textContent = s.x !== undefined ? s.x
      : 'This box\'s explanation is not in the page: guestmem explain ' +
        (c.name !== 'memory' ? '--as \'' + c.name + '\' ' : '') + '0x' +
        s.s;
  }

  function boxOf(target) {
    var g = target.closest ? target.closest('g.seg') : null;
    var a = g ? g.closest('g.as') : null;
    return a ? [+a.getAttribute('data-col'), +g.getAttribute('data-i')]
      : null;
  }
  function colAt(target) {
    var a = target.closest ? target.closest('g.as') : null;
    return a ? +a.getAttribute('data-col') : -1;
  }
  function svgPoint(e) {
    var p = svg.createSVGPoint();
    p.x = e.clientX;
    p.y = e.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  function pin(ref) {
    pinned = ref;
    markPin();
    show(ref);
  }

  /* The columns as drawn by cmd-map.c. */
  cols.forEach(function (c, k) {
    c.g = svg.querySelector('g.as[data-col="' + k + '"]');
    c.LAST = big(c.last);
    c.lo = big(c.lo);
    c.hi = big(c.hi);
    c.segs.forEach(function (s) {
      s.S = big(s.s);
      s.L = big(s.l);
    });
    c.boxes = [];
    c.height = 0;
    c.g.querySelectorAll('g.seg').forEach(function (g) {
      var r = g.querySelector('rect.box');
      var b = {
        i: +g.getAttribute('data-i'), a: BigInt(g.getAttribute('data-start')),
        b: BigInt(g.getAttribute('data-last')),
        y: +r.getAttribute('y'), h: +r.getAttribute('height')
      };
      c.boxes.push(b);
      c.height += b.h;
    });
    var o = document.createElement('option');
    o.value = String(k);
    o.textContent = c.name;
    pick.appendChild(o);
  });
  if (cols.length) {
    fill(0);
  }

  svg.addEventListener('mouseover', function (e) {
    var r = boxOf(e.target);
    if (r && !drag) {
      show(r);
    }
  });
  svg.addEventListener('focusin', function (e) {
    var r = boxOf(e.target);
    if (r) {
      show(r);
    }
  });
  svg.addEventListener('mouseleave', function () { show(pinned); });
  svg.addEventListener('click', function (e) {
    if (dragged) {
      dragged = false;
      return;
    }
    var r = boxOf(e.target);
    if (r) {
      pin(r);
    }
  });
  svg.addEventListener('keydown', function (e) {
    var r = boxOf(e.target);
    if (r && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      pin(r);
    }
  });
  svg.addEventListener('dblclick', function (e) {
    var r = boxOf(e.target);
    if (r) {
      var s = cols[r[0]].segs[r[1]];
      zoomTo(r[0], s.S, s.L);
    }
  });

  /* A drag along a column zooms it to the addresses dragged over. */
  svg.addEventListener('mousedown', function (e) {
    var k = colAt(e.target);
    dragged = false;
    if (e.button !== 0 || k < 0) {
      return;
    }
    var y = svgPoint(e).y;
    drag = { k: k, y0: y, y1: y, rect: null };
    e.preventDefault();
  });
  window.addEventListener('mousemove', function (e) {
    if (!drag) {
      return;
    }
    drag.y1 = svgPoint(e).y;
    if (Math.abs(drag.y1 - drag.y0) > 4) {
      var c = cols[drag.k];
      if (!drag.rect) {
        drag.rect = el('rect', { class: 'sel', x: c.bx - 4,
                                 width: G.barW + 8 });
        c.g.appendChild(drag.rect);
      }
      drag.rect.setAttribute('y', Math.min(drag.y0, drag.y1));
      drag.rect.setAttribute('height', Math.abs(drag.y1 - drag.y0));
    }
  });
  window.addEventListener('mouseup', function () {
    if (!drag) {
      return;
    }
    var d = drag;
    drag = null;
    if (d.rect) {
      d.rect.remove();
    }
    if (Math.abs(d.y1 - d.y0) <= 4) {
      return;
    }
    dragged = true;
    zoomTo(d.k, addrAt(d.k, Math.min(d.y0, d.y1)),
           addrAt(d.k, Math.max(d.y0, d.y1)));
  });

  /* The box of column @c that holds @addr (null past the end). */
  function segAt(c, addr) {
    var lo = 0, hi = c.segs.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1, s = c.segs[mid];
      if (addr < s.S) {
        hi = mid - 1;
      } else if (addr > s.L) {
        lo = mid + 1;
      } else {
        return s;
      }
    }
    return null;
  }

  /* The wheel over a bar.  In: to the addresses drawn within a quarter of
   * the column's height around the pointer (the picture is not to scale, so
   * this keeps what is near it on screen), or a third of the window when
   * that is all one box.  Out: three times the window, and at least to the
   * whole box before and after it. */
  svg.addEventListener('wheel', function (e) {
    var k = colAt(e.target);
    if (k < 0) {
      return;
    }
    var c = cols[k], p = svgPoint(e);
    if (p.x < c.bx || p.x > c.bx + G.barW || !e.deltaY) {
      return;
    }
    e.preventDefault();
    if (e.timeStamp - lastWheel < 60) {
      return;
    }
    lastWheel = e.timeStamp;
    var span = c.hi - c.lo, lo, hi;
    if (e.deltaY < 0) {
      lo = addrAt(k, p.y - c.height / 4);
      hi = addrAt(k, p.y + c.height / 4);
      if (lo === c.lo && hi === c.hi) {
        var at = addrAt(k, p.y);
        lo = at - (at - c.lo) / 3n;
        hi = at + (c.hi - at) / 3n;
      }
      if (span >= 2n && hi - lo < span) {
        zoomTo(k, lo, hi);
      }
    } else {
      var first = segAt(c, c.lo), last = segAt(c, c.hi);
      var above = first.S < c.lo ? first : segAt(c, c.lo - 1n);
      var below = last.L > c.hi ? last : segAt(c, c.hi + 1n);
      lo = c.lo - span - 1n;
      hi = c.hi + span + 1n;
      if (above && above.S < lo) {
        lo = above.S;
      }
      if (below && below.L > hi) {
        hi = below.L;
      }
      zoomTo(k, lo, hi);
    }
  }, { passive: false });

  function parse(v) {
    v = v.trim().toLowerCase().replace(/_/g, '');
    if (v.indexOf('0x') === 0) {
      v = v.slice(2);
    }
    return /^[0-9a-f]{1,16}$/.test(v) ? BigInt('0x' + v) : null;
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var k = +pick.value, c = cols[k];
    var lo = parse(loIn.value), hi = parse(hiIn.value);
    if (lo === null || hi === null) {
      msg.textContent = 'give the first and last address in hex, e.g. ' +
        '0xe0000 and 0xfffff';
    } else if (lo > hi) {
      msg.textContent = 'the first address is after the last';
    } else if (lo > c.LAST) {
      msg.textContent = c.name + ' ends at 0x' + c.LAST.toString(16);
    } else {
      zoomTo(k, lo, hi);
    }
  });
  pick.addEventListener('change', function () { fill(+pick.value); });
  document.getElementById('z-reset').addEventListener('click', function () {
    cols.forEach(function (c, k) { draw(k, 0n, c.LAST); });
    fill(+pick.value);
    msg.textContent = '';
  });

  /* The count of boxes bound, for tests: the script ran. */
  detail.setAttribute('data-bound', svg.querySelectorAll('g.seg').length);
})();
