/** Pure builders of event contents, for the puppets and for bridges that send by themselves. */
export {
  textContent, noticeContent, emoteContent, htmlContent, withExternalUrl, withMentions,
  type MessageContent, type ContentOptions, type HtmlText, type Mentions,
} from './text.js';
export { mediaContent, mediaKindOf, type MediaKind, type MediaInfo, type MediaMessage } from './media.js';
export { locationContent, geoUri, type Location } from './location.js';
export { asReply, inThread, withRelations, editContent, reactionContent, type ThreadTarget } from './relations.js';
export {
  createRoomBody, spaceSettings, spaceChildContent, spaceParentContent, aliasLocalpart, fullAlias,
  type RoomSettings, type InitialState, type SpaceChildOptions,
} from './room.js';
