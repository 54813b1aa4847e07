/**
 * Rendered PDFs kept in memory by the version of what they show (services/documents builds the
 * key: the invoice's updatedAt, balance, state, the brand, the locale...). Any change to the
 * invoice or the branding makes a new key, so a stale PDF is never served; old entries fall out
 * least-recently-used. Concurrent requests for one key share one render.
 */
export class PdfCache {
  private readonly entries = new Map<string, Promise<Buffer>>();
  private bytes = 0;
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  async get(key: string, render: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used goes last (Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const pending = render();
    this.entries.set(key, pending);
    try {
      const pdf = await pending;
      if (this.entries.get(key) === pending) {
        this.sizes.set(key, pdf.length);
        this.bytes += pdf.length;
        this.evict();
      }
      return pdf;
    } catch (error) {
      // A failed render is not remembered: the next request tries again.
      if (this.entries.get(key) === pending) this.entries.delete(key);
      throw error;
    }
  }

  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= this.sizes.get(key) ?? 0;
      this.sizes.delete(key);
    }
  }
}
