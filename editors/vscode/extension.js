// The writ extension: starts `writ lsp` for `.writ` files. Plain JavaScript, no build step.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function start() {
  const command = vscode.workspace.getConfiguration('writ').get('path') || 'writ';
  const serverOptions = { command, args: ['lsp'] };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'writ' }],
    // Files of a package changed on disk (not open in an editor) are read again.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.writ') },
  };
  client = new LanguageClient('writ', 'writ', serverOptions, clientOptions);
  return client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('writ.path')) {
        if (client) {
          await client.stop();
        }
        await start();
      }
    }),
  );
  await start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
