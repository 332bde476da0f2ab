"""paperfeed as an MCP server: search, papers, listings, trending and citations as tools.

``build_server`` makes the server over a ``PaperTools``; ``paperfeed mcp`` runs it over
stdio and ``paperfeed serve`` answers the streamable-HTTP transport at ``/mcp``
(``paperfeed.mcp.http``). See docs/mcp.md.
"""
