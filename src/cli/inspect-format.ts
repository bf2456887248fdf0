import type { Membership, MemberInfo, RoomView, SpaceLink } from '../mirror/index.js';

export interface ReportOptions {
  /** List every member instead of the first MEMBER_LIMIT of each membership. */
  readonly allMembers: boolean;
  /** What the operator typed (an alias is shown next to the room id). */
  readonly asked: string;
}

const MEMBER_LIMIT = 50;
const ORDER: readonly Membership[] = ['join', 'invite', 'knock', 'leave', 'ban'];

/** Rows with every column but the last padded to its widest cell, so the columns line up. */
function aligned(rows: ReadonlyArray<readonly string[]>, indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => `${indent}${row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}`.trimEnd());
}

function level(value: number): string {
  return value === Number.POSITIVE_INFINITY ? 'creator (infinite)' : String(value);
}

function link(l: SpaceLink): string {
  const extras = [
    `via ${l.via.join(', ')}`,
    ...(l.order !== undefined ? [`order "${l.order}"`] : []),
    ...(l.suggested ? ['suggested'] : []),
    ...(l.canonical ? ['canonical'] : []),
  ];
  return `${l.roomId} (${extras.join(', ')})`;
}

function joinRule(room: RoomView): string {
  const rule = room.joinRule ?? 'invite (no m.room.join_rules: the default)';
  const allow = room.joinRuleAllow.map((a) => [a['type'], a['room_id']].filter((x) => typeof x === 'string').join(' '));
  return allow.length > 0 ? `${rule} (allow: ${allow.join('; ')})` : rule;
}

function summary(room: RoomView, asked: string): string[] {
  const aliases = [room.canonicalAlias, ...room.altAliases].filter((a): a is string => a !== undefined);
  const rows: Array<readonly [string, string]> = [
    ['room', asked === room.roomId ? room.roomId : `${room.roomId} (${asked})`],
    ['name', room.name ?? '(none)'],
    ...(room.topic !== undefined ? [['topic', room.topic] as const] : []),
    ...(aliases.length > 0 ? [['aliases', aliases.join(', ')] as const] : []),
    ['version', room.version],
    ...(room.type !== undefined ? [['type', room.type] as const] : []),
    ['creators', room.creators.join(', ') || '(unknown: no create event)'],
    ['join rule', joinRule(room)],
    ['history', room.historyVisibility ?? '(default: shared)'],
    ['encrypted', room.encryption ? String(room.encryption['algorithm']) : 'no'],
    ['hydrated', room.hydrated ? 'yes (full state known)' : 'no (the mirror has only part of the state)'],
    ...(room.tombstone ? [['replaced by', room.tombstone.replacementRoom] as const] : []),
  ];
  return aligned(rows);
}

async function members(room: RoomView, all: boolean): Promise<string[]> {
  const groups = new Map<Membership, MemberInfo[]>();
  const counts = room.memberCounts;
  for await (const member of room.members()) {
    const group = groups.get(member.membership) ?? [];
    if (all || group.length < MEMBER_LIMIT) group.push(member);
    groups.set(member.membership, group);
  }
  const total = ORDER.reduce((n, m) => n + counts[m], 0);
  const lines = [`members (${total})`];
  for (const membership of ORDER) {
    const group = groups.get(membership);
    if (!group || group.length === 0) continue;
    lines.push(`  ${membership} (${counts[membership]})`);
    // userId, displayname, and for joined members their power level.
    lines.push(...aligned(group.map((m) => [m.userId, m.displayname ?? '', membership === 'join' ? level(room.powerLevel(m.userId)) : '']), '    '));
    const hidden = counts[membership] - group.length;
    if (hidden > 0) lines.push(`    … and ${hidden} more (--all lists them)`);
  }
  return lines;
}

function powerTable(room: RoomView): string[] {
  const pl = room.powerLevels;
  const lines = [`power levels${pl.present ? '' : ' (no m.room.power_levels event: the defaults)'}`];
  lines.push(...aligned(Object.entries(pl.levels).map(([key, value]) => [key, String(value)]), '  '));
  const sections: Array<readonly [string, ReadonlyMap<string, number>]> = [
    ['events', pl.events], ['notifications', pl.notifications], ['users', pl.users],
  ];
  for (const [name, map] of sections) {
    if (map.size === 0) continue;
    lines.push(`  ${name}`);
    const rows = [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    lines.push(...aligned(rows.map(([key, value]) => [key, String(value)]), '    '));
  }
  if (room.rules.privilegedCreators && room.creators.length > 0) {
    lines.push(`  creators (room version ${room.version}): infinite, above every level`);
  }
  return lines;
}

async function spaces(room: RoomView): Promise<string[]> {
  const [parents, children] = await Promise.all([room.spaceParents(), room.spaceChildren()]);
  const rows: Array<readonly [string, string]> = [];
  if (parents.length === 0) rows.push(['parents', '(none)']);
  parents.forEach((p, i) => rows.push([i === 0 ? 'parents' : '', link(p)]));
  if (children.length === 0) rows.push(['children', '(none)']);
  children.forEach((c, i) => rows.push([i === 0 ? 'children' : '', link(c)]));
  return ['spaces', ...aligned(rows, '  ')];
}

/** The mirror's view of one room as aligned text, section by section. */
export async function roomReport(room: RoomView, options: ReportOptions): Promise<string[]> {
  return [
    ...summary(room, options.asked),
    '',
    ...await members(room, options.allMembers),
    '',
    ...powerTable(room),
    '',
    ...await spaces(room),
  ];
}
