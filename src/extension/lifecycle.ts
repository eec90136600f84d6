// Explicit lifetimes: everything a surface creates is registered with its owner and disposed with it.
import * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  protected register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.disposables.push(d);
    return d;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // one failing disposal must not keep the others alive
      }
    }
  }
}

/** A bag of disposables that can be emptied and reused (host-restart cleanups). */
export class DisposableStore implements vscode.Disposable {
  private items: vscode.Disposable[] = [];

  add<T extends vscode.Disposable>(d: T): T {
    this.items.push(d);
    return d;
  }

  clear(): void {
    for (const d of this.items.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // keep going
      }
    }
  }

  dispose(): void {
    this.clear();
  }
}
