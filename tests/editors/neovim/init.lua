-- A minimal Neovim (0.7+) configuration that attaches atlas-lsp to the current buffer, types a line as a user would
-- ("o" then the text, in insert mode) once the server has loaded its model and indexed the workspace, asks for
-- completion at the end of the line, and writes what Neovim had and got to $ATLAS_NVIM_OUT as JSON: the buffer,
-- the cursor and the first item. Used by the editor test; the same start_client call is how Neovim before 0.11 is
-- configured (see the README for vim.lsp.config on 0.11+).
local out = os.getenv("ATLAS_NVIM_OUT")
local cmd = { "dotnet", os.getenv("ATLAS_LSP_DLL"), "--stdio" }
local after_line = tonumber(os.getenv("ATLAS_AFTER_LINE")) -- 0-based, as in LSP
local typed = os.getenv("ATLAS_TYPED")

-- C# is indented with four spaces, as the sample repository is (Neovim 0.9+ would read that from an .editorconfig).
-- Neovim's defaults would indent the typed line with a tab, which the trained model never saw in its C#.
vim.opt.expandtab = true
vim.opt.shiftwidth = 4

local function finish(result)
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

local function type_and_ask()
  vim.api.nvim_win_set_cursor(0, { after_line + 1, 0 })
  -- Typed keys, not a buffer edit: Neovim indents the new line and reports the changes as it would for a user.
  vim.api.nvim_feedkeys("o" .. typed, "nx", false)
  local line = after_line + 1
  local text = vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]
  local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = line, character = #text } }
  local result = { buffer = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n", position = params.position }
  local responses = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 60000)
  for _, response in pairs(responses or {}) do
    if response.err then result.error = vim.inspect(response.err) end
    local items = response.result and (response.result.items or response.result) or {}
    result.item = items[1]
  end
  finish(result)
end

-- Typing starts once the buffer is attached and the server has said (window/logMessage) that the model is loaded
-- and the workspace indexed: before that, a suggestion would be made without the other files.
local ready = { attached = false, Loaded = false, Indexed = false }
local started = false
local function type_when_ready()
  if started or not (ready.attached and ready.Loaded and ready.Indexed) then return end
  started = true
  vim.schedule(type_and_ask)
end

local client_id = vim.lsp.start_client({
  name = "atlas",
  cmd = cmd,
  -- The workspace folder: the server indexes it for the repository context.
  root_dir = vim.fn.getcwd(),
  -- A time budget no busy machine reaches: cut short, a suggestion could stop in the middle of a name.
  init_options = { atlas = { model = os.getenv("ATLAS_MODEL"), maxTokens = 32, timeBudgetMs = 60000 } },
  handlers = {
    ["window/logMessage"] = function(_, message)
      local word = message.message:match("^(%a+) ")
      if ready[word] == false and word ~= "attached" then
        ready[word] = true
        type_when_ready()
      end
    end,
  },
  on_init = function(client)
    vim.lsp.buf_attach_client(0, client.id)
    ready.attached = true
    type_when_ready()
  end,
})
if not client_id then finish({ error = "no client" }) end
