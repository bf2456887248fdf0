/** The caches of per-room data a process keeps; emptied for a room when its lease moves. */
export class RoomCaches {
  private readonly caches: Array<{ name: string; forget: (roomId: string) => void; forgetAll: () => void }> = [];

  register(name: string, forget: (roomId: string) => void, forgetAll: () => void): void {
    this.caches.push({ name, forget, forgetAll });
  }

  forget(roomId: string): void {
    for (const cache of this.caches) cache.forget(roomId);
  }

  forgetAll(): void {
    for (const cache of this.caches) cache.forgetAll();
  }
}
