import { useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import type { z } from 'zod'

type AnyObjectSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>

type SchemaFormOptions<Schema extends AnyObjectSchema> = Omit<
  Parameters<typeof useForm<z.input<Schema>, z.output<Schema>>>[0],
  'onValidate'
>

/**
 * Conform's useForm validated in the browser by the same Zod schema the action parses with, and
 * revalidated as the person types once it has shown an error (our forms' one behaviour; pass
 * `shouldRevalidate` to differ). Without JavaScript the action's answer shows the same errors.
 */
export function useSchemaForm<Schema extends AnyObjectSchema>(
  schema: Schema,
  options: SchemaFormOptions<Schema>,
) {
  return useForm<z.input<Schema>, z.output<Schema>>({
    shouldRevalidate: 'onInput',
    ...options,
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  })
}
