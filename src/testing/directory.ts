/** Room aliases (`#alias:server` → room ID, with who made them) and the public room list. */
export class AliasDirectory {
  private readonly aliases = new Map<string, { roomId: string; creator: string }>();
  /** roomId → network ID (`''` for the plain public list) for appservice room lists. */
  readonly published = new Map<string, string>();

  resolve(alias: string): string | undefined {
    return this.aliases.get(alias)?.roomId;
  }

  creatorOf(alias: string): string | undefined {
    return this.aliases.get(alias)?.creator;
  }

  /** False when the alias is taken. */
  add(alias: string, roomId: string, creator: string): boolean {
    if (this.aliases.has(alias)) return false;
    this.aliases.set(alias, { roomId, creator });
    return true;
  }

  remove(alias: string): boolean {
    return this.aliases.delete(alias);
  }

  aliasesOf(roomId: string): string[] {
    return [...this.aliases].filter(([, entry]) => entry.roomId === roomId).map(([alias]) => alias);
  }
}
