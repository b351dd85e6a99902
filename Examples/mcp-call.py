#!/usr/bin/env python3
"""Connects to `a0 mcp` with the Python MCP client (the one Agent Zero uses),
lists the tools and makes some calls, as an agent would; prints one JSON
document: the negotiated protocol, the tools and each call's result.

    mcp-call.py A0 HOME '[["status", {}], ["request_upgrade", {"version": "v1.7"}]]'

Each call is [tool, arguments]. Needs `pip install mcp`.
"""
import asyncio, json, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

async def main():
    a0, home = sys.argv[1], sys.argv[2]
    calls = json.loads(sys.argv[3]) if len(sys.argv) > 3 else []
    params = StdioServerParameters(command=a0, args=["--home", home, "mcp"], env={"PATH": "/usr/bin:/bin"})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out = {"protocol": init.protocolVersion, "server": init.serverInfo.name}
            tools = await session.list_tools()
            out["tools"] = [{"name": t.name, "description": t.description, "schema": t.inputSchema,
                             "annotations": t.annotations.model_dump(exclude_none=True) if t.annotations else None}
                            for t in tools.tools]
            out["calls"] = []
            for name, args in calls:
                try:
                    r = await session.call_tool(name, args)
                    out["calls"].append({"name": name, "isError": r.isError, "structured": r.structuredContent,
                                         "text": "".join(c.text for c in r.content if c.type == "text")})
                except Exception as e:
                    out["calls"].append({"name": name, "exception": str(e)})
            print(json.dumps(out))

asyncio.run(main())
