"""numba kernels of the link assignment: per-pair geometry, candidate lists, greedy loops.

Each kernel is a plain loop over numpy arrays (no typed containers), compiled once and
cached on disk (`cache=True`); they run single-threaded.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _body_axes(r, v):
    """LVLH rows x (along-track), y, z (nadir) of one satellite; see netsim.space.attitude."""
    rn = np.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
    z0, z1, z2 = -r[0] / rn, -r[1] / rn, -r[2] / rn
    vz = v[0] * z0 + v[1] * z1 + v[2] * z2
    x0, x1, x2 = v[0] - vz * z0, v[1] - vz * z1, v[2] - vz * z2
    xn = np.sqrt(x0 * x0 + x1 * x1 + x2 * x2)
    x0, x1, x2 = x0 / xn, x1 / xn, x2 / xn
    y0 = z1 * x2 - z2 * x1
    y1 = z2 * x0 - z0 * x2
    y2 = z0 * x1 - z1 * x0
    return x0, x1, x2, y0, y1, y2, z0, z1, z2


@njit(cache=True, nogil=True)
def _in_for(r, v, u0, u1, u2, bore, cos_for):
    """True when unit inertial direction u lies inside the FoR of any terminal."""
    x0, x1, x2, y0, y1, y2, z0, z1, z2 = _body_axes(r, v)
    bx = u0 * x0 + u1 * x1 + u2 * x2
    by = u0 * y0 + u1 * y1 + u2 * y2
    bz = u0 * z0 + u1 * z1 + u2 * z2
    for t in range(bore.shape[0]):
        if bore[t, 0] * bx + bore[t, 1] * by + bore[t, 2] * bz >= cos_for:
            return True
    return False


@njit(cache=True, nogil=True)
def _body_rate(r, v, w0, w1, w2, u0, u1, u2):
    """|w - omega x u| with omega = r x v / |r|^2: LOS rate in the turning body frame."""
    r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2]
    o0 = (r[1] * v[2] - r[2] * v[1]) / r2
    o1 = (r[2] * v[0] - r[0] * v[2]) / r2
    o2 = (r[0] * v[1] - r[1] * v[0]) / r2
    c0 = o1 * u2 - o2 * u1
    c1 = o2 * u0 - o0 * u2
    c2 = o0 * u1 - o1 * u0
    e0, e1, e2 = w0 - c0, w1 - c1, w2 - c2
    return np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)


@njit(cache=True, nogil=True)
def filter_pairs(pos, vel, a, b, bore_a, cos_a, slew_a, bore_b, cos_b, slew_b, max_range, los_radius):
    """(ok, distance) per pair: range, line of sight above los_radius, FoR of both ends,
    body-frame LOS rate within both slew limits."""
    m = a.shape[0]
    ok = np.zeros(m, dtype=np.bool_)
    dist = np.empty(m)
    los2 = los_radius * los_radius
    for i in range(m):
        ra, va, rb, vb = pos[a[i]], vel[a[i]], pos[b[i]], vel[b[i]]
        d0, d1, d2 = rb[0] - ra[0], rb[1] - ra[1], rb[2] - ra[2]
        l2 = d0 * d0 + d1 * d1 + d2 * d2
        dd = np.sqrt(l2)
        dist[i] = dd
        if dd > max_range or l2 == 0.0:
            continue
        # Closest point of the segment to the Earth's centre (netsim.space.geometry.line_of_sight).
        s = -(ra[0] * d0 + ra[1] * d1 + ra[2] * d2) / l2
        s = min(max(s, 0.0), 1.0)
        c0, c1, c2 = ra[0] + s * d0, ra[1] + s * d1, ra[2] + s * d2
        if c0 * c0 + c1 * c1 + c2 * c2 <= los2:
            continue
        u0, u1, u2 = d0 / dd, d1 / dd, d2 / dd
        if not _in_for(ra, va, u0, u1, u2, bore_a, cos_a):
            continue
        if not _in_for(rb, vb, -u0, -u1, -u2, bore_b, cos_b):
            continue
        e0, e1, e2 = vb[0] - va[0], vb[1] - va[1], vb[2] - va[2]
        eu = e0 * u0 + e1 * u1 + e2 * u2
        w0, w1, w2 = (e0 - eu * u0) / dd, (e1 - eu * u1) / dd, (e2 - eu * u2) / dd
        # Seen from B the LOS is -u with inertial rate -w: |(-w) - omega_B x (-u)| = |w - omega_B x u|.
        if _body_rate(ra, va, w0, w1, w2, u0, u1, u2) > slew_a:
            continue
        if _body_rate(rb, vb, w0, w1, w2, u0, u1, u2) > slew_b:
            continue
        ok[i] = True
    return ok, dist


@njit(cache=True, nogil=True)
def _listed(nbr, row, target):
    if row < 0 or nbr.shape[0] == 0:
        return False
    for j in range(nbr.shape[1]):
        if nbr[row, j] == target:
            return True
    return False


@njit(cache=True, nogil=True)
def emit_candidates(a_nodes, b_nodes, nbr_a, nbr_b, same_set, inc_a, inc_b, row_a, row_b):
    """Candidate (a, b) global pairs from k-nearest lists, each once, then the includes
    that no list holds: (a, b, number of pairs from the lists). An include listed twice
    is emitted twice.

    nbr_a[i]: rows of b_nodes near a_nodes[i] (-1 = none), or shape (0, k) if not queried;
    nbr_b[j]: rows of a_nodes near b_nodes[j]. same_set: a_nodes is b_nodes, pairs
    reported as (lower, higher) node. inc_a/inc_b: extra pairs (global nodes) to include;
    row_a/row_b: global node -> row of a_nodes / b_nodes (-1 if absent)."""
    cap = nbr_a.shape[0] * nbr_a.shape[1] + nbr_b.shape[0] * nbr_b.shape[1] + inc_a.shape[0]
    out_a = np.empty(cap, dtype=np.int64)
    out_b = np.empty(cap, dtype=np.int64)
    n = 0
    for i in range(nbr_a.shape[0]):
        for j in range(nbr_a.shape[1]):
            t = nbr_a[i, j]
            if t < 0:
                continue
            if same_set:
                if t == i:
                    continue
                if a_nodes[i] < a_nodes[t]:
                    out_a[n], out_b[n] = a_nodes[i], a_nodes[t]
                    n += 1
                elif not _listed(nbr_a, t, i):
                    out_a[n], out_b[n] = a_nodes[t], a_nodes[i]
                    n += 1
            else:
                out_a[n], out_b[n] = a_nodes[i], b_nodes[t]
                n += 1
    for i in range(nbr_b.shape[0]):
        for j in range(nbr_b.shape[1]):
            t = nbr_b[i, j]
            if t < 0 or _listed(nbr_a, t, i):
                continue
            out_a[n], out_b[n] = a_nodes[t], b_nodes[i]
            n += 1
    listed = n
    for i in range(inc_a.shape[0]):
        ga, gb = inc_a[i], inc_b[i]
        if same_set:
            if ga == gb:
                continue
            if ga > gb:
                ga, gb = gb, ga
        ra, rb = row_a[ga], row_b[gb]
        if ra < 0 or rb < 0:
            continue
        if same_set:
            if _listed(nbr_a, ra, rb) or _listed(nbr_a, rb, ra):
                continue
        elif _listed(nbr_a, ra, rb) or _listed(nbr_b, rb, ra):
            continue
        out_a[n], out_b[n] = ga, gb
        n += 1
    return out_a[:n], out_b[:n], listed


@njit(cache=True, nogil=True)
def group_rows(key, n_keys):
    """Counting sort: rows of each key value. (start (n_keys + 1), rows)."""
    start = np.zeros(n_keys + 1, dtype=np.int64)
    for i in range(key.shape[0]):
        start[key[i] + 1] += 1
    for k in range(n_keys):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    rows = np.empty(key.shape[0], dtype=np.int64)
    for i in range(key.shape[0]):
        rows[fill[key[i]]] = i
        fill[key[i]] += 1
    return start, rows


@njit(cache=True, nogil=True)
def find_kept(a, b, start, rows, keep_a, keep_b):
    """Row of each kept pair among the candidates (either orientation), -1 if absent."""
    n_keys = start.shape[0] - 1
    found = np.full(keep_a.shape[0], -1, dtype=np.int64)
    for i in range(keep_a.shape[0]):
        for flip in range(2):
            x, y = (keep_b[i], keep_a[i]) if flip else (keep_a[i], keep_b[i])
            if x < 0 or x >= n_keys:
                continue
            for p in range(start[x], start[x + 1]):
                r = rows[p]
                if b[r] == y:
                    found[i] = r
                    break
            if found[i] >= 0:
                break
    return found


@njit(cache=True, nogil=True)
def greedy_take(a, b, order, cap, taken):
    """Take rows in `order` while both ends have capacity left (cap is updated)."""
    for r in order:
        if taken[r]:
            continue
        if cap[a[r]] > 0 and cap[b[r]] > 0:
            cap[a[r]] -= 1
            cap[b[r]] -= 1
            taken[r] = True


@njit(cache=True, nogil=True)
def least_loaded(a, b, dist, choosers, start, rows, cap, load, taken, undirected):
    """Rounds over choosers (in the given order): each with a free terminal takes, among
    its untaken candidate rows whose other end has a free terminal, the one whose other
    end has the fewest links so far (ties: shorter, then lower node)."""
    active = np.ones(choosers.shape[0], dtype=np.bool_)
    progress = True
    while progress:
        progress = False
        for ci in range(choosers.shape[0]):
            if not active[ci]:
                continue
            c = choosers[ci]
            if cap[c] <= 0:
                active[ci] = False
                continue
            best, best_load, best_d, best_o = -1, 0, 0.0, 0
            for p in range(start[c], start[c + 1]):
                r = rows[p]
                if taken[r]:
                    continue
                o = b[r] if a[r] == c else a[r]
                if not undirected and a[r] != c:
                    continue
                if cap[o] <= 0:
                    continue
                better = best < 0 or load[o] < best_load or (load[o] == best_load and (
                    dist[r] < best_d or (dist[r] == best_d and o < best_o)))
                if better:
                    best, best_load, best_d, best_o = r, load[o], dist[r], o
            if best < 0:
                active[ci] = False
                continue
            taken[best] = True
            cap[c] -= 1
            cap[best_o] -= 1
            load[c] += 1
            load[best_o] += 1
            progress = True


@njit(cache=True, nogil=True)
def _sort_desc(values, out):
    """Indices of values from largest to smallest (ties: lower index first); insertion
    sort, the lists are a few terminals long."""
    n = values.shape[0]
    for i in range(n):
        out[i] = i
    for i in range(1, n):
        j = i
        while j > 0 and values[out[j - 1]] < values[out[j]]:
            out[j - 1], out[j] = out[j], out[j - 1]
            j -= 1


@njit(cache=True, nogil=True)
def terminals_for_rows(pos, vel, nodes, peers, bore, cos_for, previous, start, rows):
    """Terminal per row: one link per terminal, only terminals whose FoR holds the peer.
    Rows keep a still-feasible previous terminal; the rest get a maximum matching (Kuhn's
    augmenting paths) that prefers the terminal closest to the line of sight."""
    m = nodes.shape[0]
    nt = bore.shape[0]
    out = np.full(m, -1, dtype=np.int64)
    n_keys = start.shape[0] - 1
    kmax = 0
    for key in range(n_keys):
        kmax = max(kmax, start[key + 1] - start[key])
    # Scratch reused for every node (no allocation per node).
    cos_buf = np.empty((kmax, nt))
    pref_buf = np.empty((kmax, nt), dtype=np.int64)
    assigned_buf = np.empty(kmax, dtype=np.int64)
    owner = np.empty(nt, dtype=np.int64)  # local row owning each terminal
    fixed = np.empty(nt, dtype=np.bool_)
    parent = np.empty(nt, dtype=np.int64)
    visited = np.empty(nt, dtype=np.bool_)
    queue = np.empty(max(kmax, 1), dtype=np.int64)
    for key in range(n_keys):
        lo, hi = start[key], start[key + 1]
        k = hi - lo
        if k == 0:
            continue
        cosines = cos_buf[:k]
        cosines[:, :] = -2.0
        owner[:] = -1
        fixed[:] = False
        assigned = assigned_buf[:k]
        assigned[:] = -1
        for li in range(k):
            r = rows[lo + li]
            rn, pn = pos[nodes[r]], pos[peers[r]]
            d0, d1, d2 = pn[0] - rn[0], pn[1] - rn[1], pn[2] - rn[2]
            dd = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            if dd == 0.0:
                continue
            x0, x1, x2, y0, y1, y2, z0, z1, z2 = _body_axes(rn, vel[nodes[r]])
            bx = (d0 * x0 + d1 * x1 + d2 * x2) / dd
            by = (d0 * y0 + d1 * y1 + d2 * y2) / dd
            bz = (d0 * z0 + d1 * z1 + d2 * z2) / dd
            for t in range(nt):
                c = bore[t, 0] * bx + bore[t, 1] * by + bore[t, 2] * bz
                if c >= cos_for:
                    cosines[li, t] = c
            pt = previous[r]
            if 0 <= pt < nt and cosines[li, pt] > -2.0 and owner[pt] < 0:
                owner[pt] = li
                fixed[pt] = True
                assigned[li] = pt
        # Terminals of each row from the closest boresight to the farthest.
        pref = pref_buf[:k]
        for li in range(k):
            if assigned[li] < 0:
                _sort_desc(cosines[li], pref[li])
        for li in range(k):
            if assigned[li] >= 0:
                continue
            visited[:] = False
            qh, qt = 0, 1
            queue[0] = li
            end = -1
            while qh < qt and end < 0:
                x = queue[qh]
                qh += 1
                for j in range(nt):
                    t = pref[x, j]
                    if cosines[x, t] <= -2.0:
                        break
                    if visited[t] or fixed[t]:
                        continue
                    visited[t] = True
                    parent[t] = x
                    if owner[t] < 0:
                        end = t
                        break
                    queue[qt] = owner[t]
                    qt += 1
            t = end
            while t >= 0:
                x = parent[t]
                prev = assigned[x]
                assigned[x] = t
                owner[t] = x
                if x == li:
                    break
                t = prev
        for li in range(k):
            out[rows[lo + li]] = assigned[li]
    return out
