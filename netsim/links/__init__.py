"""Stage 3, links: which terminals point at which peer, and how good the link is. Node
and port numbering (numbering), +Grid (plus_grid), ground links (ground_links),
assigned ISLs and inter-tier links (dynamic_links, assignment), link availability
(availability), the optical link budget (link_budget)."""
