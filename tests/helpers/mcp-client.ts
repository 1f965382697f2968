import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'

/** An MCP client from the official SDK, connected over Streamable HTTP to `${baseUrl}/mcp` with a Bearer token. */
export async function mcpClient(baseUrl: string, token: string) {
  const client = new Client({ name: 'switchboard-test', version: '1.0.0' })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  )
  return client
}
