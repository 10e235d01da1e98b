-- A minimal Neovim (0.7+) configuration that attaches atlas-lsp to the current buffer, asks for completion at the
-- cursor, and writes the first item's label to $ATLAS_NVIM_OUT. Used by the editor test; the same start_client
-- call is how Neovim before 0.11 is configured (see the README for vim.lsp.config on 0.11+).
local out = os.getenv("ATLAS_NVIM_OUT")
local cmd = { "dotnet", os.getenv("ATLAS_LSP_DLL"), "--stdio" }

local function finish(text)
  local f = io.open(out, "w")
  f:write(text)
  f:close()
  vim.cmd("qall!")
end

local client_id = vim.lsp.start_client({
  name = "atlas",
  cmd = cmd,
  root_dir = vim.fn.getcwd(),
  init_options = { atlas = { model = os.getenv("ATLAS_MODEL"), maxTokens = 8 } },
  on_init = function(client)
    vim.lsp.buf_attach_client(0, client.id)
    vim.defer_fn(function()
      local line = vim.api.nvim_buf_line_count(0) - 1
      local text = vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]
      local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = line, character = #text } }
      local results = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 60000)
      for _, response in pairs(results or {}) do
        local items = response.result and (response.result.items or response.result) or {}
        if items[1] then
          finish("label=" .. items[1].label .. "\ndetail=" .. (items[1].detail or "") .. "\n")
          return
        end
        if response.err then finish("error=" .. vim.inspect(response.err)) return end
      end
      finish("no items")
    end, 500)
  end,
})
if not client_id then finish("no client") end
