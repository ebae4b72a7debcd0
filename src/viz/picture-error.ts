/**
 * Why a picture cannot be drawn. A RangeError (callers that only know that keep working), with
 * `about` saying whose fault it is, so that a caller names the right culprit without reading the
 * message: "layout" is the requested layout (shape, scale, columns, count, picture size), "content"
 * is what is drawn (the loss history, the encoder weights, the image handed to the PNG encoder).
 */
export type PictureProblem = 'layout' | 'content';

export class PictureError extends RangeError {
  override name = 'PictureError';
  readonly about: PictureProblem;

  constructor(about: PictureProblem, message: string) {
    super(message);
    this.about = about;
  }
}
