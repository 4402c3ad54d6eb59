"""Drive BuildOS's MCP server with the reference MCP client (the `mcp` package).

    python client.py URL TOKEN CALLS_JSON

CALLS_JSON is a list of [tool, arguments]. Prints one JSON object: the tools
listed, and each call's result text and whether it was a tool error.
Used by server/tests/app/mcp.rs (scripts/test.sh installs the package).
"""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main(url: str, token: str, calls: str) -> None:
    async with streamablehttp_client(url, headers={"Authorization": f"Bearer {token}"}) as (read, write, _):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            tools = await session.list_tools()
            out = {
                "server": info.serverInfo.name,
                "tools": sorted(t.name for t in tools.tools),
                "schemas": {t.name: t.inputSchema for t in tools.tools},
                "results": [],
            }
            for name, arguments in json.loads(calls):
                result = await session.call_tool(name, arguments)
                text = "".join(c.text for c in result.content if c.type == "text")
                out["results"].append({"tool": name, "is_error": bool(result.isError), "text": text})
            print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
