// The Payable extension: starts `payable lsp` on standard input and output and connects it
// to VS Code. Highlighting, snippets and the language configuration are declared in
// package.json and need no code; everything the server knows (diagnostics, hover, go to
// definition, references, completion, symbols, formatting, semantic tokens) comes from it.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Payable");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("payable.restartServer", () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("payable.server")) {
        void restart();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration("payable");
  if (!config.get<boolean>("server.enable", true)) {
    return;
  }
  const command = resolveCommand(config.get<string>("server.path", "payable"));
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "payable" },
      { scheme: "untitled", language: "payable" },
    ],
    outputChannel: output,
    synchronize: {
      // `use "other.pay"` makes one file depend on another, open or not.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.pay"),
    },
  };
  const created = new LanguageClient("payable", "Payable", serverOptions, clientOptions);
  created.onDidChangeState((event) => {
    if (event.newState === State.Stopped && client === created) {
      output?.appendLine(`The Payable language server (${command} lsp) stopped.`);
    }
  });
  try {
    await created.start();
    client = created;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const choice = await vscode.window.showErrorMessage(
      `Could not start the Payable language server with \`${command} lsp\`: ${message}. ` +
        "Set `payable.server.path` to the payable binary.",
      "Open Settings",
    );
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "payable.server.path");
    }
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running?.isRunning()) {
    await running.stop();
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

/** The setting's value with `~` and `${workspaceFolder}` expanded, so a relative build works. */
function resolveCommand(setting: string): string {
  const value = setting.trim() || "payable";
  const home = process.env.HOME ?? process.env.USERPROFILE ?? "";
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  return value.replace(/^~(?=$|[\\/])/, home).replace(/\$\{workspaceFolder\}/g, folder);
}
