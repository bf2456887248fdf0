import { withExternalUrl, type ContentOptions, type MessageContent } from './text.js';

export interface Location {
  readonly latitude: number;
  readonly longitude: number;
  /** Metres. */
  readonly uncertainty?: number;
  /** Text for clients that cannot show a location; a default naming the coordinates otherwise. */
  readonly body?: string;
}

/** A `geo:` URI (RFC 5870). */
export function geoUri(location: Pick<Location, 'latitude' | 'longitude' | 'uncertainty'>): string {
  const { latitude, longitude, uncertainty } = location;
  if (!(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180)) {
    throw new RangeError(`not a location: latitude ${latitude}, longitude ${longitude}`);
  }
  return `geo:${latitude},${longitude}${uncertainty === undefined ? '' : `;u=${uncertainty}`}`;
}

/** An `m.location` content. */
export function locationContent(location: Location, options: ContentOptions = {}): MessageContent {
  const uri = geoUri(location);
  return withExternalUrl({ msgtype: 'm.location', body: location.body ?? `Location: ${uri}`, geo_uri: uri }, options);
}
