#!/usr/bin/python3
"""Check vigie's resilience engine against NetworkX and igraph.

Reads a graph written by resilience.ExportGraphML and prints, as JSON, for
each library available: the bridges and articulation points of the whole
graph, and for each site the number of disjoint paths to the backbone when
every device and every link (but not memberships) can fail: the least
number of devices and links whose failure cuts the site off every backbone
node, capped at 3. That is a max-flow on the usual split graph (a device is
an arc "in -> out" of capacity 1); no path may transit through a site, so an
edge leaving a site's cluster is an arc outwards only. SRLGs are ignored
here: the Go side strips them before comparing. Timings are in seconds.

Usage: compare.py GRAPH.graphml [--sample N]   (first N sites only)
"""
import json
import sys
import time

INF = 10**9
CAP = 3


def flow_arcs(nodes, edges):
    """nodes: list of (key, failable, backbone, site); edges: (a, b, failable, leaf)."""
    arcs = {}
    site_of = {k: s for k, _, _, s in nodes}

    def add(u, v, c):
        arcs[(u, v)] = min(INF, arcs.get((u, v), 0) + c)

    for k, failable, backbone, _ in nodes:
        add((k, "i"), (k, "o"), 1 if failable else INF)
        if backbone:
            add((k, "o"), "T", INF)
    for a, b, failable, leaf in edges:
        c = 1 if failable else INF
        if leaf:
            if not site_of[a]:
                a, b = b, a
            add((a, "o"), (b, "i"), c)
        else:
            add((a, "o"), (b, "i"), c)
            add((b, "o"), (a, "i"), c)
    return arcs


def run_networkx(path, sample):
    import networkx as nx

    out = {"version": nx.__version__, "seconds": {}}
    t = time.perf_counter()
    G = nx.read_graphml(path, force_multigraph=True)
    out["seconds"]["load"] = time.perf_counter() - t

    t = time.perf_counter()
    H = nx.Graph(G)
    bridges = []
    for u, v in nx.bridges(H):
        if G.number_of_edges(u, v) > 1:
            continue  # parallel links are never bridges
        (data,) = G.get_edge_data(u, v).values()
        bridges.append(data["link"])
    out["seconds"]["bridges"] = time.perf_counter() - t
    out["bridges"] = sorted(bridges)

    t = time.perf_counter()
    out["articulation_points"] = sorted(nx.articulation_points(H))
    out["seconds"]["articulation_points"] = time.perf_counter() - t

    nodes = [(k, d["failable"] == 1, d["backbone"] == 1, d.get("site", "")) for k, d in G.nodes(data=True)]
    edges = [(a, b, d["failable"] == 1, d["leaf"] == 1) for a, b, d in G.edges(data=True)]
    sites = sorted(k for k, d in G.nodes(data=True) if d["kind"] == "site")[:sample]
    t = time.perf_counter()
    D = nx.DiGraph()
    for (u, v), c in flow_arcs(nodes, edges).items():
        D.add_edge(u, v, capacity=c)
    out["seconds"]["flow_build"] = time.perf_counter() - t
    t = time.perf_counter()
    paths = {}
    for s in sites:
        paths[s] = min(CAP, nx.maximum_flow_value(D, (s, "o"), "T"))
    out["seconds"]["flows"] = time.perf_counter() - t
    out["seconds"]["per_site"] = out["seconds"]["flows"] / max(1, len(sites))
    out["paths_backbone"] = paths
    return out


def run_igraph(path, sample):
    import igraph as ig

    out = {"version": ig.__version__, "seconds": {}}
    t = time.perf_counter()
    G = ig.Graph.Read_GraphML(path)
    out["seconds"]["load"] = time.perf_counter() - t
    keys = G.vs["id"]

    t = time.perf_counter()
    out["bridges"] = sorted(G.es[i]["link"] for i in G.bridges())
    out["seconds"]["bridges"] = time.perf_counter() - t

    t = time.perf_counter()
    out["articulation_points"] = sorted(keys[i] for i in G.articulation_points())
    out["seconds"]["articulation_points"] = time.perf_counter() - t

    nodes = [(keys[v.index], v["failable"] == 1, v["backbone"] == 1, v["site"] or "") for v in G.vs]
    edges = [(keys[e.source], keys[e.target], e["failable"] == 1, e["leaf"] == 1) for e in G.es]
    sites = sorted(k for k, v in zip(keys, G.vs) if v["kind"] == "site")[:sample]
    t = time.perf_counter()
    arcs = flow_arcs(nodes, edges)
    index = {}
    for u, v in arcs:
        index.setdefault(u, len(index))
        index.setdefault(v, len(index))
    F = ig.Graph(n=len(index), edges=[(index[u], index[v]) for u, v in arcs], directed=True)
    caps = list(arcs.values())
    out["seconds"]["flow_build"] = time.perf_counter() - t
    t = time.perf_counter()
    paths = {}
    for s in sites:
        paths[s] = min(CAP, int(F.maxflow_value(index[(s, "o")], index["T"], capacity=caps)))
    out["seconds"]["flows"] = time.perf_counter() - t
    out["seconds"]["per_site"] = out["seconds"]["flows"] / max(1, len(sites))
    out["paths_backbone"] = paths
    return out


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path = args[0]
    sample = None
    if "--sample" in args:
        sample = int(args[args.index("--sample") + 1])
    result = {}
    for name, fn in (("networkx", run_networkx), ("igraph", run_igraph)):
        try:
            result[name] = fn(path, sample)
        except ImportError as e:
            result[name] = {"missing": str(e)}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
